/**
 * Read-modify-write of one Store value that holds across processes: read it with its version,
 * compute the next value, write it only if nobody wrote in between (`setVersioned`), and
 * otherwise start over from what the other writer left. Each attempt sees the latest value, so
 * concurrent updates all land, one after the other, instead of the last one erasing the rest.
 */
import { BridgeError, ErrorCode } from './errors';
import type { Store } from './ports';

/** Attempts before giving up: enough for a handful of processes writing one key at once. */
export const DEFAULT_UPDATE_ATTEMPTS = 10;

export interface UpdateOptions {
  attempts?: number;
}

/**
 * Apply `change` to the value at `key` (undefined when absent) and store its result with
 * `ttlMs`; `change` may run more than once, so it must not have side effects. Returning
 * `undefined` from `change` leaves the value as it is. Resolves the value now stored.
 * Throws `BridgeError('conflict')` (retryable) when every attempt met a concurrent write.
 */
export async function updateVersioned<T>(
  store: Store,
  key: string,
  change: (current: T | undefined) => T | undefined,
  ttlMs: number,
  options: UpdateOptions = {},
): Promise<T | undefined> {
  const attempts = options.attempts ?? DEFAULT_UPDATE_ATTEMPTS;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const current = await store.getVersioned<T>(key);
    const next = change(current?.value);
    if (next === undefined) return current?.value;
    if (await store.setVersioned(key, next, current?.version ?? 0, ttlMs)) return next;
    // Someone else wrote first; let the other writers' turns pass before reading again.
    if (attempt < attempts) await new Promise((resolve) => setImmediate(resolve));
  }
  throw new BridgeError(ErrorCode.Conflict, `${key} changed under ${attempts} attempts to update it`, {
    retryable: true,
    details: { key },
  });
}
