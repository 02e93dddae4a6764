/**
 * Retrying a call to a vendor: exponential backoff with jitter, `Retry-After` honoured (parsed by
 * `bots/http/retry-after.ts`, the one parser every outbound client uses), and a cap: a server
 * that asks for a longer pause than the policy allows is not hammered but given up on, so the
 * caller learns at once that the desk is away.
 *
 * The loop knows nothing of HTTP: an attempt yields an outcome, and the caller's `judge` says
 * what it means. Waits go through the injected Clock, so tests drive them.
 */
import type { Clock } from '../../../bots/core/ports';
import { retryAfterMs } from '../../../bots/http/retry-after';

export interface RetryPolicy {
  /** Attempts in all (1: no retry). */
  attempts: number;
  baseDelayMs: number;
  /** Longest wait between attempts, backoff or `Retry-After` alike. */
  maxDelayMs: number;
}

/**
 * - `safe`: the call is idempotent or carries an id the vendor de-duplicates: retry 408, 429,
 *   5xx (not 501/505: they will not change), timeouts and network errors.
 * - `unprocessed`: a create that must not run twice: retry only when the server says it did not
 *   process the request (429, 503).
 * - `never`: one attempt (typing signals: a late one is worse than none).
 */
export type RetryMode = 'safe' | 'unprocessed' | 'never';

/** Whether a failure (an HTTP status, or undefined for no answer at all) is worth another attempt. */
export function retryableStatus(mode: RetryMode, status: number | undefined): boolean {
  if (mode === 'never') return false;
  if (mode === 'unprocessed') return status === 429 || status === 503;
  return status === undefined || status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/**
 * The wait before attempt `attempt + 1`: the server's `Retry-After` when it sent one (undefined,
 * i.e. give up, when that is longer than `maxDelayMs`), else `baseDelayMs` doubled per attempt,
 * capped, ±20% so throttled callers spread out.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  retryAfter: string | null | undefined,
  now: number,
  random: () => number = Math.random,
): number | undefined {
  const after = retryAfterMs(retryAfter, now);
  if (after !== undefined) return after > policy.maxDelayMs ? undefined : after;
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(backoff * (0.8 + 0.4 * random()));
}

/**
 * What an attempt's outcome means: `done` (return it), `again` (try at once, not counted: a
 * refreshed credential gets one free try), `retry` (wait, then try, if attempts are left) or
 * `fail` (stop).
 */
export type Verdict = { kind: 'done' } | { kind: 'again' } | { kind: 'retry'; retryAfter?: string | null } | { kind: 'fail' };

export interface RetryLoop<O> {
  attempt(): Promise<O>;
  judge(outcome: O, attempt: number): Promise<Verdict> | Verdict;
  /** The error thrown when the loop stops without `done`. */
  failure(outcome: O, attempts: number): Error;
  /** Told before each wait (for a log line). */
  onRetry?(outcome: O, attempt: number, waitMs: number): void;
}

export interface RetryDeps {
  clock: Clock;
  /** Jitter source; tests make it deterministic. */
  random?: () => number;
}

/** Run `loop` under `policy`; resolves the outcome judged `done`. */
export async function withRetries<O>(deps: RetryDeps, policy: RetryPolicy, loop: RetryLoop<O>): Promise<O> {
  const attempts = Math.max(1, policy.attempts);
  for (let attempt = 1; ; attempt++) {
    const outcome = await loop.attempt();
    const verdict = await loop.judge(outcome, attempt);
    if (verdict.kind === 'done') return outcome;
    if (verdict.kind === 'again') {
      attempt--;
      continue;
    }
    const wait =
      verdict.kind === 'retry' && attempt < attempts
        ? retryDelayMs(policy, attempt, verdict.retryAfter, deps.clock.now(), deps.random)
        : undefined;
    if (wait === undefined) throw loop.failure(outcome, attempt);
    loop.onRetry?.(outcome, attempt, wait);
    await new Promise<void>((resolve) => deps.clock.setTimer(wait, resolve));
  }
}
