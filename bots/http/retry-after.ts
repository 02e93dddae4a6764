/**
 * `Retry-After` (RFC 9110: delay-seconds or an HTTP date) in milliseconds from `now`, for every
 * outbound client that waits one out. Undefined when absent or unreadable; never negative.
 */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
