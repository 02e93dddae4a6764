/**
 * HTTP to the instance: `fetch` with a time limit per attempt, retries on 429/5xx and network
 * failures with exponential backoff, honouring `Retry-After`, and typed errors at the end.
 * Ordering per conversation is the connector's (one queue per chat); this layer never reorders
 * because it never runs two attempts of one request at once.
 *
 * `fetch`, the clock (for the waits) and the logger are injected, so tests drive all of it.
 */
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import type { Clock, Logger } from '../../../bots/core/ports';
import { readBounded } from '../../../bots/http/bounded-read';
import type { OutboundFetch } from '../../../bots/http/outbound-guard';
import { retryAfterMs } from '../../../bots/http/retry-after';

export interface HttpDeps {
  fetch: typeof fetch;
  clock: Clock;
  logger: Logger;
  /** Jitter source; tests make it deterministic. */
  random?: () => number;
}

export interface HttpPolicy {
  timeoutMs: number;
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * - `safe`: the call is idempotent or carries an id ServiceNow can de-duplicate (`requestId`,
 *   `clientMessageId`): retry 429, 5xx, timeouts and network errors.
 * - `unprocessed`: a create that must not run twice: retry only when the server says it did not
 *   process the request (429, 503).
 * - `never`: one attempt (typing signals: a late one is worse than none).
 */
export type RetryMode = 'safe' | 'unprocessed' | 'never';

export interface HttpRequest {
  /** For logs and errors: what this call is ("start chat", "availability"). */
  op: string;
  method: 'GET' | 'POST';
  url: string;
  /** Built for each attempt, so a refreshed token or a fresh signature is used. */
  headers?: () => Promise<Record<string, string>>;
  body?: string | FormData | URLSearchParams;
  retry: RetryMode;
  /** On a 401, called once; resolve true to try again (e.g. after dropping a stale token). */
  onUnauthorized?: () => Promise<boolean>;
  /** Largest response body read; larger answers fail with `file_rejected`. */
  maxBytes?: number;
  /**
   * A body-less request to a URL that came from outside (an agent's file): sent through this
   * guarded fetch (bots/http/outbound-guard.ts) instead of the client's own.
   */
  guarded?: OutboundFetch;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;

export class ServiceNowHttp {
  private readonly random: () => number;

  constructor(
    private readonly deps: HttpDeps,
    private readonly policy: HttpPolicy,
  ) {
    this.random = deps.random ?? Math.random;
  }

  /** Resolves with a 2xx response; throws a `BridgeError` otherwise. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const attempts = req.retry === 'never' ? 1 : Math.max(1, this.policy.attempts);
    let reauthenticated = false;
    for (let attempt = 1; ; attempt++) {
      let outcome: { response?: HttpResponse; error?: unknown };
      try {
        outcome = { response: await this.once(req) };
      } catch (error) {
        outcome = { error };
      }
      const { response, error } = outcome;
      if (response && response.status < 300) return response;
      if (response?.status === 401 && req.onUnauthorized && !reauthenticated && (await req.onUnauthorized())) {
        reauthenticated = true; // a fresh credential gets one free try; it is not a retry
        attempt--;
        continue;
      }
      const wait = this.retryDelay(req, response, error, attempt);
      if (attempt >= attempts || wait === undefined) throw this.failure(req, response, error, attempt);
      this.deps.logger.warn(
        { op: req.op, status: response?.status, attempt, waitMs: wait, err: error ? describe(error) : undefined },
        'servicenow: request failed; retrying',
      );
      await this.sleep(wait);
    }
  }

  /** GET/POST that parses a JSON answer (undefined for an empty or non-JSON body). */
  async json<T>(req: HttpRequest): Promise<T | undefined> {
    const res = await this.send(req);
    const text = res.body.toString('utf8');
    if (!text.trim()) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new BridgeError(ErrorCode.DeskRejected, `ServiceNow answered ${req.op} with something that is not JSON`, {
        status: res.status,
        details: { op: req.op, body: text.slice(0, 200) },
      });
    }
  }

  private async once(req: HttpRequest): Promise<HttpResponse> {
    const headers = { ...(await req.headers?.()) };
    const signal = AbortSignal.timeout(this.policy.timeoutMs);
    // A redirect here is a login page; following it would hide the real error.
    const res = req.guarded
      ? await req.guarded(req.url, { method: req.method, headers, signal, redirect: 'manual' })
      : await this.deps.fetch(req.url, { method: req.method, headers, body: req.body, signal, redirect: 'manual' });
    const maxBytes = req.maxBytes ?? DEFAULT_MAX_BYTES;
    const body = await readBounded(res, { maxBytes, tooLarge: () => tooLarge(maxBytes) });
    return { status: res.status, headers: res.headers, body };
  }

  /** Milliseconds to wait before the next attempt, or undefined when this failure is final. */
  private retryDelay(req: HttpRequest, res: HttpResponse | undefined, error: unknown, attempt: number): number | undefined {
    if (error instanceof BridgeError) return undefined; // our own verdict (too large), not the network's
    const status = res?.status;
    const retryable =
      req.retry === 'unprocessed'
        ? status === 429 || status === 503
        : status === undefined || status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
    if (!retryable) return undefined;
    const backoff = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
    const jittered = Math.round(backoff * (0.8 + 0.4 * this.random()));
    const after = res ? retryAfterMs(res.headers.get('retry-after'), this.deps.clock.now()) : undefined;
    if (after === undefined) return jittered;
    // The server asked for a longer pause than we may wait: stop rather than hammer it.
    return after > this.policy.maxDelayMs ? undefined : after;
  }

  private failure(req: HttpRequest, res: HttpResponse | undefined, error: unknown, attempts: number): BridgeError {
    if (error instanceof BridgeError) return error;
    const status = res?.status;
    const details = { op: req.op, attempts, ...(res ? { body: res.body.toString('utf8').slice(0, 300) } : { error: describe(error) }) };
    if (status === 401 || status === 403) {
      return new BridgeError(ErrorCode.DeskAuthFailed, `ServiceNow refused our credentials for ${req.op} (HTTP ${status})`, {
        status,
        details,
      });
    }
    if (status !== undefined && status < 500 && status !== 408 && status !== 429) {
      return new BridgeError(ErrorCode.DeskRejected, `ServiceNow rejected ${req.op} (HTTP ${status})`, { status, details });
    }
    const reason = status === undefined ? 'no answer' : `HTTP ${status}`;
    return new BridgeError(
      ErrorCode.DeskUnavailable,
      `ServiceNow did not take ${req.op} (${reason}, ${attempts} attempt${attempts === 1 ? '' : 's'})`,
      {
        status,
        retryable: true,
        cause: error,
        details,
      },
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.deps.clock.setTimer(ms, resolve));
  }
}

function tooLarge(maxBytes: number): BridgeError {
  return new BridgeError(ErrorCode.FileRejected, `the answer is larger than ${maxBytes} bytes`);
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? (error.name === 'TimeoutError' ? 'timeout' : error.message);
  }
  return String(error);
}
