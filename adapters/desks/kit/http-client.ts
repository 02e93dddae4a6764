/**
 * HTTP to a vendor's API: `fetch` with a time limit per attempt, retries on 429/5xx and network
 * failures (`retry.ts`: backoff, `Retry-After`), bounded response bodies, and typed errors at the
 * end (`desk_auth_failed` for 401/403, `desk_rejected` for other 4xx, retryable
 * `desk_unavailable` for the rest). Ordering per chat is the desk's (`ChatOutbox`); this layer
 * never reorders because it never runs two attempts of one request at once.
 *
 * `fetch`, the clock (for the waits) and the logger are injected, so tests drive all of it.
 */
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import type { Clock, Logger } from '../../../bots/core/ports';
import { readBounded } from '../../../bots/http/bounded-read';
import type { OutboundFetch } from '../../../bots/http/outbound-guard';
import { type RetryMode, type RetryPolicy, retryableStatus, withRetries } from './retry';

export interface HttpDeps {
  fetch: typeof fetch;
  clock: Clock;
  logger: Logger;
  /** Jitter source; tests make it deterministic. */
  random?: () => number;
}

export interface HttpPolicy extends RetryPolicy {
  timeoutMs: number;
}

/** How the vendor is named: `name` in error messages ("Acme"), `log` in log lines ("acme"). */
export interface VendorLabel {
  name: string;
  log: string;
}

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

type Outcome = { response?: HttpResponse; error?: unknown };

const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;

export class DeskHttp {
  constructor(
    private readonly deps: HttpDeps,
    private readonly policy: HttpPolicy,
    private readonly vendor: VendorLabel,
  ) {}

  /** Resolves with a 2xx response; throws a `BridgeError` otherwise. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    let reauthenticated = false;
    const policy = req.retry === 'never' ? { ...this.policy, attempts: 1 } : this.policy;
    const outcome = await withRetries<Outcome>(this.deps, policy, {
      attempt: () =>
        this.once(req).then(
          (response) => ({ response }),
          (error: unknown) => ({ error }),
        ),
      judge: async ({ response, error }) => {
        if (response && response.status < 300) return { kind: 'done' };
        if (response?.status === 401 && req.onUnauthorized && !reauthenticated && (await req.onUnauthorized())) {
          reauthenticated = true; // a fresh credential gets one free try; it is not a retry
          return { kind: 'again' };
        }
        // Our own verdict (too large) is final, not the network's.
        if (error instanceof BridgeError || !retryableStatus(req.retry, response?.status)) return { kind: 'fail' };
        return { kind: 'retry', retryAfter: response?.headers.get('retry-after') };
      },
      failure: ({ response, error }, attempts) => this.failure(req, response, error, attempts),
      onRetry: ({ response, error }, attempt, waitMs) =>
        this.deps.logger.warn(
          { op: req.op, status: response?.status, attempt, waitMs, err: error ? describe(error) : undefined },
          `${this.vendor.log}: request failed; retrying`,
        ),
    });
    // `done` is only ever a 2xx response.
    if (outcome.response) return outcome.response;
    throw this.failure(req, outcome.response, outcome.error, 1);
  }

  /** GET/POST that parses a JSON answer (undefined for an empty or non-JSON body). */
  async json<T>(req: HttpRequest): Promise<T | undefined> {
    const res = await this.send(req);
    const text = res.body.toString('utf8');
    if (!text.trim()) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new BridgeError(ErrorCode.DeskRejected, `${this.vendor.name} answered ${req.op} with something that is not JSON`, {
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

  private failure(req: HttpRequest, res: HttpResponse | undefined, error: unknown, attempts: number): BridgeError {
    if (error instanceof BridgeError) return error;
    const vendor = this.vendor.name;
    const status = res?.status;
    const details = { op: req.op, attempts, ...(res ? { body: res.body.toString('utf8').slice(0, 300) } : { error: describe(error) }) };
    if (status === 401 || status === 403) {
      return new BridgeError(ErrorCode.DeskAuthFailed, `${vendor} refused our credentials for ${req.op} (HTTP ${status})`, {
        status,
        details,
      });
    }
    if (status !== undefined && status < 500 && status !== 408 && status !== 429) {
      return new BridgeError(ErrorCode.DeskRejected, `${vendor} rejected ${req.op} (HTTP ${status})`, { status, details });
    }
    const reason = status === undefined ? 'no answer' : `HTTP ${status}`;
    const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
    return new BridgeError(ErrorCode.DeskUnavailable, `${vendor} did not take ${req.op} (${reason}, ${tries})`, {
      status,
      retryable: true,
      cause: error,
      details,
    });
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
