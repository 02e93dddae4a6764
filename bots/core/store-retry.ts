/**
 * Work that outlives one request (a broadcast's delivery) waits out a store outage instead of
 * giving up: a call that fails with `store_unavailable` is tried again every `everyMs` for as
 * long as `keepTrying()` says (the work still holds its lease, the process is not stopping).
 * Any other error, or one once `keepTrying()` is false, is thrown as it is.
 */
import type { Clock } from './ports';
import { ErrorCode, isBridgeError } from './errors';

export async function untilStoreBack<T>(clock: Clock, keepTrying: () => boolean, call: () => Promise<T>, everyMs = 1000): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (e) {
      if (!isBridgeError(e, ErrorCode.StoreUnavailable) || !keepTrying()) throw e;
      await new Promise<void>((resolve) => clock.setTimer(everyMs, resolve));
    }
  }
}

/**
 * Waits until `ping()` says the store answers (true), or `keepTrying()` turns false first (false):
 * for a step that cannot be retried once begun (a send), so it only starts while the store is there.
 */
export async function untilStoreAnswers(
  clock: Clock,
  keepTrying: () => boolean,
  ping: () => Promise<boolean>,
  everyMs = 1000,
): Promise<boolean> {
  for (;;) {
    if (await ping().catch(() => false)) return true;
    if (!keepTrying()) return false;
    await new Promise<void>((resolve) => clock.setTimer(everyMs, resolve));
  }
}
