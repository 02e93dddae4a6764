/**
 * The Slack Web API client, tuned for a live chat relay, and the one place Slack errors become
 * BridgeErrors.
 *
 * @slack/web-api's defaults do not fit a relay:
 * - `retryConfig` defaults to ten retries over about thirty minutes: an agent's message could
 *   arrive half an hour late, or a user wait that long for a card. We retry a few times within
 *   well under a minute, then fail so the broker can tell the agent.
 * - On a 429 the client pauses its *whole* queue for `Retry-After`. Slack's chat limits are per
 *   channel (about one message a second), so one busy user would stall every other user. We set
 *   `rejectRateLimitedCalls` and wait out `Retry-After` for that call only (`slackCall`).
 * - `timeout` defaults to none: a hung connection would hold the user's queue forever.
 */
import { LogLevel, webApi, type Logger as SlackLogger } from '@slack/bolt';
import { BridgeError, ErrorCode } from '../core/errors';
import type { Logger } from '../core/ports';
import type { SlackSettings } from './config';
import { slackTransport } from './transport';

type WebClient = webApi.WebClient;
type WebClientOptions = webApi.WebClientOptions;

/** 5xx and network failures: 3 retries, 1 s → 2 s → 4 s (jittered), never past ~40 s in all. */
export const liveChatRetryPolicy: NonNullable<WebClientOptions['retryConfig']> = {
  retries: 3,
  factor: 2,
  minTimeout: 1000,
  maxTimeout: 8000,
  randomize: true,
  maxRetryTime: 40_000,
};

/** One attempt may take this long before it is abandoned (and retried). */
export const REQUEST_TIMEOUT_MS = 10_000;

/** How long `slackCall` keeps waiting out rate limits for one call, and how often it tries. */
export const RATE_LIMIT_BUDGET_MS = 60_000;
const MAX_RATE_LIMIT_WAITS = 3;

export function slackClientOptions(settings: Pick<SlackSettings, 'apiUrl'>, logger: Logger): WebClientOptions {
  return {
    slackApiUrl: settings.apiUrl,
    retryConfig: liveChatRetryPolicy,
    rejectRateLimitedCalls: true,
    timeout: REQUEST_TIMEOUT_MS,
    logger: slackLogger(logger),
    // node:http with pooled keep-alive sockets instead of undici's fetch: far less CPU per call (see transport.ts).
    fetch: slackTransport,
  };
}

export function createSlackClient(settings: Pick<SlackSettings, 'apiUrl' | 'botToken'>, logger: Logger): WebClient {
  return new webApi.WebClient(settings.botToken, slackClientOptions(settings, logger));
}

export interface SlackCallOptions {
  /** Total time the call may spend waiting out 429s. */
  budgetMs?: number;
  /** Error code for a failure (default: surface_send_failed). */
  code?: ErrorCode;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Run one Web API call. A 429 is waited out (its `Retry-After`, for this call only) while that
 * fits in the budget; any other failure, or a rate limit that does not fit, becomes a
 * BridgeError saying whether trying later may help.
 */
export async function slackCall<T>(method: string, op: () => Promise<T>, options: SlackCallOptions = {}): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const budget = options.budgetMs ?? RATE_LIMIT_BUDGET_MS;
  const started = now();
  for (let waits = 0; ; waits++) {
    try {
      return await op();
    } catch (err) {
      const retryAfter = rateLimitedFor(err);
      if (retryAfter !== undefined && waits < MAX_RATE_LIMIT_WAITS && now() - started + retryAfter * 1000 <= budget) {
        await sleep(retryAfter * 1000);
        continue;
      }
      throw slackError(err, method, options.code);
    }
  }
}

/** The Slack error string of a failed call (`channel_not_found`, `expired_trigger_id`), if any. */
export function slackErrorCode(err: unknown): string | undefined {
  const e = err instanceof BridgeError ? err.cause : err;
  if (e instanceof webApi.WebAPIPlatformError) return e.data.error;
  return undefined;
}

/** Platform errors that are Slack's trouble, not ours: worth trying again later. */
const transientPlatformErrors = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

export function slackError(err: unknown, method: string, code: ErrorCode = ErrorCode.SurfaceSendFailed): BridgeError {
  if (err instanceof BridgeError) return err;
  if (err instanceof webApi.WebAPIPlatformError) {
    const error = err.data.error;
    return new BridgeError(code, `Slack ${method} failed (${error})`, {
      cause: err,
      retryable: transientPlatformErrors.has(error),
      details: { method, error, needed: (err.data as { needed?: string }).needed },
    });
  }
  if (err instanceof webApi.WebAPIRateLimitedError) {
    return new BridgeError(code, `Slack ${method} was rate limited (retry after ${err.retryAfter} s)`, {
      cause: err,
      retryable: true,
      status: 429,
      details: { method, retryAfter: err.retryAfter },
    });
  }
  if (err instanceof webApi.WebAPIHTTPError) {
    return new BridgeError(code, `Slack ${method} failed (HTTP ${err.statusCode})`, {
      cause: err,
      retryable: err.statusCode >= 500 || err.statusCode === 408,
      status: err.statusCode,
      details: { method },
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new BridgeError(code, `Slack ${method} failed (no response)`, { cause: err, retryable: true, details: { method, message } });
}

function rateLimitedFor(err: unknown): number | undefined {
  return err instanceof webApi.WebAPIRateLimitedError ? Math.max(0, err.retryAfter) : undefined;
}

const levels: LogLevel[] = [LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR];

/**
 * Bolt's and web-api's logger interface over ours, so their lines are structured JSON tagged
 * `surface: slack`. They log strings and errors as varargs.
 */
export function slackLogger(logger: Logger): SlackLogger {
  let level = LogLevel.INFO;
  let name = 'slack';
  const enabled = (l: LogLevel) => levels.indexOf(l) >= levels.indexOf(level);
  const write =
    (l: LogLevel, sink: (obj: object, msg?: string) => void) =>
    (...msg: unknown[]) => {
      if (!enabled(l)) return;
      const err = msg.find((m): m is Error => m instanceof Error);
      const text = msg
        .filter((m) => !(m instanceof Error))
        .map((m) => (typeof m === 'string' ? m : JSON.stringify(m)))
        .join(' ');
      sink({ surface: 'slack', component: name, ...(err ? { err } : {}) }, text);
    };
  return {
    debug: write(LogLevel.DEBUG, (o, m) => logger.debug(o, m)),
    info: write(LogLevel.INFO, (o, m) => logger.info(o, m)),
    warn: write(LogLevel.WARN, (o, m) => logger.warn(o, m)),
    error: write(LogLevel.ERROR, (o, m) => logger.error(o, m)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: (n) => {
      name = n;
    },
  };
}
