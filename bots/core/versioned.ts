/**
 * Read-modify-write of one Store value that holds across processes: read it with its version,
 * compute the next value, write it only if nobody wrote in between (`setVersioned`), and
 * otherwise start over from what the other writer left. Each attempt sees the latest value, so
 * concurrent updates all land, one after the other, instead of the last one erasing the rest.
 */
import { BridgeError, ErrorCode } from './errors';
import type { Store } from './ports';

/**
 * Attempts before giving up. A contender loses an attempt only to a write that landed, so all
 * progress together; with the jittered wait below, losing 30 in a row to a handful of processes
 * writing one key at once does not happen short of a writer stuck in a loop.
 */
export const DEFAULT_UPDATE_ATTEMPTS = 30;

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
    // Someone else wrote first: wait a random while (growing, at most ~20 ms) before reading
    // again, so two writers in lockstep fall out of it instead of colliding on every attempt.
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 ** attempt, 20)));
  }
  throw new BridgeError(ErrorCode.Conflict, `${key} changed under ${attempts} attempts to update it`, {
    retryable: true,
    details: { key },
  });
}
