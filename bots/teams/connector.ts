/**
 * The Bot Connector REST calls the bridge makes to reach users (send an activity to a
 * conversation, update one), on kept-alive `node:http(s)` sockets.
 *
 * Why not botbuilder's own client for these: every proactive send through
 * `continueConversationAsync` + `ConnectorClient` ran a whole bot turn (TurnContext, middleware)
 * and an @azure/core-client pipeline (mapper-driven serializer walking the Activity schema, eight
 * policies, tracing spans) for one small JSON POST. Profiled on the relay benchmark that was about
 * a sixth of the CPU of relaying an agent's message, more than the bridge's own code. The wire
 * contract is small and stable (Bot Connector REST API v3, `POST /v3/conversations/{id}/activities`,
 * `PUT .../activities/{activityId}` and, for channel threads, `POST /v3/conversations`), so we
 * speak it directly. What we still take from
 * botbuilder: inbound authentication, and the outbound token (its credentials: password,
 * certificate, managed identity or federated, per MicrosoftAppType), handed in as `token`.
 *
 * Retries follow Teams' guidance (412, 429, 502, 503, 504, with Retry-After when given, else
 * exponential backoff with jitter). A create that may have reached Teams (500, a timeout, a
 * connection dropped after the request was written) is NOT retried: creates are not idempotent
 * and a retry can show the user the message twice. Updates and typing are safe to repeat, so
 * they are also retried on those. Ordering per conversation is the caller's job (TeamsSurface).
 */
import http from 'node:http';
import https from 'node:https';
import { isStaleSocketFailure, keepAliveAgents } from '../http/keep-alive';
import { retryAfterMs } from '../http/retry-after';

export interface BotConnectorOptions {
  /** The bot's bearer token for this service URL; undefined when auth is off (no header sent). */
  token: (serviceUrl: string) => Promise<string | undefined>;
  /** One attempt may take this long (default 15 s: Teams' own turn budget). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 3). */
  retries?: number;
  /** First backoff when no Retry-After was given (default 500 ms; doubled per retry, jittered). */
  backoffMs?: number;
  /** Total time one call may spend waiting between attempts (default 30 s). */
  budgetMs?: number;
  sleep?: (ms: number) => Promise<void>;
  userAgent?: string;
}

/** A failed Bot Connector call: the HTTP status when there was one, and what Teams said. */
export class ConnectorCallError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly body: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ConnectorCallError';
  }
}

export interface ConversationTarget {
  serviceUrl: string;
  conversationId: string;
}

/**
 * Sockets per connector host; a burst's sockets stay open for the next burst (see keep-alive.ts).
 * Free sockets close after 30 s idle, well before the service's own idle timeout would.
 */
const agents = keepAliveAgents({ maxSocketsPerHost: 256, idleSocketTimeoutMs: 30_000 });

/** Statuses Teams documents as worth retrying (plus 503), for any call. */
const RETRY_ANY = new Set([412, 429, 502, 503, 504]);
/** Statuses after which a call may or may not have taken effect: retried only when repeating is harmless. */
const RETRY_IDEMPOTENT = new Set([408, 500]);

export class BotConnector {
  private readonly token: BotConnectorOptions['token'];
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly budgetMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly userAgent: string;

  constructor(options: BotConnectorOptions) {
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 500;
    this.budgetMs = options.budgetMs ?? 30_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.userAgent = options.userAgent ?? 'LiveAgentBridge (Bot Connector v3)';
  }

  /** Posts a new activity to the conversation; resolves with the id Teams gave it. */
  async send(target: ConversationTarget, activity: object, options: { idempotent?: boolean } = {}): Promise<string | undefined> {
    const text = await this.call('POST', target.serviceUrl, activitiesUrl(target), activity, options.idempotent ?? false);
    return idFrom(text);
  }

  /**
   * Creates a conversation (`POST /v3/conversations`): in a Teams channel, a new thread whose
   * first message is `parameters.activity`. Resolves with the new conversation's id (a channel
   * thread: `<channel id>;messageid=<root id>`) and the root activity's id. A create, so never
   * repeated once it may have reached Teams.
   */
  async createConversation(serviceUrl: string, parameters: object): Promise<{ id: string; activityId?: string }> {
    const base = serviceUrl.endsWith('/') ? serviceUrl : `${serviceUrl}/`;
    const text = await this.call('POST', serviceUrl, `${base}v3/conversations`, parameters, false);
    let answer: { id?: unknown; activityId?: unknown } = {};
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch {
      // checked below
    }
    if (typeof answer.id !== 'string' || answer.id === '') throw new ConnectorCallError('no conversation id in the answer', 200, text);
    return { id: answer.id, ...(typeof answer.activityId === 'string' && answer.activityId ? { activityId: answer.activityId } : {}) };
  }

  /** Replaces an activity the bot sent earlier (same id). */
  async update(target: ConversationTarget, activityId: string, activity: object): Promise<void> {
    await this.call('PUT', target.serviceUrl, `${activitiesUrl(target)}/${encodeURIComponent(activityId)}`, activity, true);
  }

  private async call(method: 'POST' | 'PUT', serviceUrl: string, url: string, payload: object, idempotent: boolean): Promise<string> {
    const body = JSON.stringify(payload);
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      const headers: http.OutgoingHttpHeaders = {
        'content-type': 'application/json; charset=utf-8',
        accept: 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': this.userAgent,
      };
      const token = await this.token(serviceUrl);
      if (token) headers.authorization = `Bearer ${token}`;
      let failure: ConnectorCallError;
      let wait: number | undefined;
      try {
        const response = await exchange(method, url, headers, body, this.timeoutMs);
        if (response.status >= 200 && response.status < 300) return response.body;
        failure = new ConnectorCallError(`HTTP ${response.status}${errorCodeOf(response.body)}`, response.status, response.body);
        const retryable = RETRY_ANY.has(response.status) || (idempotent && RETRY_IDEMPOTENT.has(response.status));
        if (retryable) wait = retryAfterMs(response.retryAfter) ?? this.backoff(attempt);
      } catch (err) {
        failure = new ConnectorCallError(`no response from the Bot Connector (${(err as Error).message})`, undefined, '', { cause: err });
        // Not sent at all (refused, DNS, reset before writing): safe to repeat. Otherwise the
        // outcome is unknown, and only an idempotent call may be repeated.
        if (idempotent || (err as RequestFailure).notSent === true) wait = this.backoff(attempt);
      }
      if (wait === undefined || attempt >= this.retries || Date.now() - started + wait > this.budgetMs) throw failure;
      await this.sleep(wait);
    }
  }

  /** 500 ms, 1 s, 2 s... each between half and all of it, so throttled callers spread out. */
  private backoff(attempt: number): number {
    const full = this.backoffMs * 2 ** attempt;
    return Math.round(full / 2 + Math.random() * (full / 2));
  }
}

function activitiesUrl(target: ConversationTarget): string {
  const base = target.serviceUrl.endsWith('/') ? target.serviceUrl : `${target.serviceUrl}/`;
  return `${base}v3/conversations/${encodeURIComponent(target.conversationId)}/activities`;
}

function idFrom(text: string): string | undefined {
  if (!text) return undefined;
  try {
    const id = (JSON.parse(text) as { id?: unknown }).id;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** " (BotNotInConversationRoster)" from Teams' `{ error: { code } }` body, for the log line. */
function errorCodeOf(text: string): string {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? ` (${code})` : '';
  } catch {
    return '';
  }
}

interface RawResponse {
  status: number;
  body: string;
  retryAfter?: string;
}

type RequestFailure = Error & { notSent?: boolean };

/** Largest response body read; Bot Connector answers are a few hundred bytes. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * One HTTP exchange. A keep-alive socket the server closed just as we reused it (see
 * `isStaleSocketFailure`) is tried once more, and marked `notSent` if that fails the same way.
 */
function exchange(
  method: string,
  url: string,
  headers: http.OutgoingHttpHeaders,
  body: string,
  timeoutMs: number,
  retried = false,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const req = (secure ? https : http).request(target, { method, headers, agent: agents[secure ? 'https:' : 'http:'] });
    let responded = false;
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('response', (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          res.destroy(new Error('response too large'));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => {
        const retryAfter = res.headers['retry-after'];
        resolve({
          status: res.statusCode ?? 0,
          body: chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8'),
          retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
        });
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (responded) return reject(err);
      const staleSocket = isStaleSocketFailure(req, err, responded);
      if (staleSocket && !retried) {
        exchange(method, url, headers, body, timeoutMs, true).then(resolve, reject);
        return;
      }
      const notSent = staleSocket || ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(err.code ?? '');
      reject(Object.assign(err, { notSent }));
    });
    req.end(body);
  });
}
