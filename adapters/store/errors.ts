/**
 * Error helpers shared by the store adapters: one place that decides what a store failure looks
 * like to callers (a `BridgeError` with code `store_unavailable`) and how URLs and causes are
 * rendered into messages without leaking secrets.
 */
import { BridgeError, ErrorCode } from '../../bots/core/errors';

/**
 * A readable reason for anything thrown by node-redis or the network stack. Some of their errors
 * carry no message (node-redis `TimeoutError`, Node's `AggregateError` when both `::1` and
 * `127.0.0.1` refuse `localhost`), which would otherwise produce "…: " with nothing after it.
 */
export function describeError(e: unknown): string {
  // Duck-typed rather than `instanceof`: errors may come from another realm (Node's socket
  // errors seen from a jest sandbox are not `instanceof Error` there).
  if (typeof e !== 'object' || e === null) return String(e);
  const { message, code, errors } = e as { message?: unknown; code?: unknown; errors?: unknown };
  if (typeof message === 'string' && message) return message;
  if (Array.isArray(errors) && errors.length > 0) return errors.map(describeError).join('; ');
  if (typeof code === 'string' && code) return code;
  return e.constructor?.name ?? 'unknown error';
}

/** `redis://user:secret@host:6379/0` -> `redis://user@host:6379/0`: safe for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    // An unparseable URL may still contain a secret; never echo it back.
    return '<invalid Redis URL>';
  }
}

/** The one error callers see when the backing store cannot serve a call. */
export function storeUnavailable(message: string, cause?: unknown, details?: unknown): BridgeError {
  // Retryable: an outage or a timeout may pass; the caller decides whether to wait.
  return new BridgeError(ErrorCode.StoreUnavailable, message, { cause, retryable: true, details });
}

/**
 * Every key must expire (see the `Store` port), so a missing, zero, negative or infinite TTL is a
 * programming error, not an outage: it is reported as a `RangeError` before touching the store.
 * Returns the TTL rounded up to whole milliseconds, because Redis `PX` only takes integers.
 */
export function checkTtl(method: string, key: string, ttlMs: unknown): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`Store.${method}(${JSON.stringify(key)}) needs a TTL in milliseconds greater than 0; got ${String(ttlMs)}`);
  }
  return Math.ceil(ttlMs);
}

/** `append` of a value with no JSON form (undefined, a function): the caller's error, before any write. */
export function noJson(key: string): TypeError {
  return new TypeError(`Store.append(${JSON.stringify(key)}): the value has no JSON form`);
}
