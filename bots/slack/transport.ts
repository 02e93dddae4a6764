/**
 * A lean `fetch` for the Slack Web API client, on node:http(s) with keep-alive agents.
 *
 * Why it exists: WebClient makes one `fetch` call per API call, and Node's global fetch (undici)
 * is costly per call: WHATWG streams, Request/Response objects, AbortSignal plumbing. Profiling
 * the relay put it at about 7-10 % of CPU, nearly all of it for chat.postMessage. A Web API call
 * needs far less: POST a short URL-encoded (or JSON) string, read back a small JSON answer.
 *
 * What it handles (every call WebClient makes except file uploads): GET or POST to an http(s) URL
 * with a string body or none, headers as an object, `Headers` or pairs, an AbortSignal, and
 * `redirect: 'error'`. The answer is read whole (capped), decompressed if a server compresses
 * it unasked, and returned as a minimal Response: status, statusText, ok, url, headers, and
 * text / json / arrayBuffer, each readable once.
 *
 * What it delegates to the global fetch, unchanged: any other body (FormData, Blob, streams,
 * buffers: the file uploads), method or redirect mode, non-http(s) URLs and Request objects.
 *
 * Failures look like fetch's, so WebClient's retries treat them the same: a network error
 * rejects with TypeError('fetch failed', { cause }), an abort with the signal's reason.
 */
import http from 'node:http';
import https from 'node:https';
import { BufferedResponse, ResponseHeaders, readWhole, type TransportResponse } from './transport-response';
import { isStaleSocketFailure, keepAliveAgents, type KeepAliveAgents } from '../http/keep-alive';

export interface SlackTransportOptions {
  /** Sockets per host (WebClient itself runs at most 100 calls at once). Default 128. */
  maxSocketsPerHost?: number;
  /** An idle pooled socket is closed after this long. Default 4 s. */
  idleSocketTimeoutMs?: number;
  /** Largest response body accepted, compressed or not, so a runaway answer cannot exhaust memory. Default 50 MB. */
  maxResponseBytes?: number;
}

/** The part of fetch's Headers that WebClient and fetch callers use. */
export type { TransportHeaders, TransportResponse } from './transport-response';

export type SlackTransport = ((input: string | URL | Request, init?: RequestInit) => Promise<TransportResponse>) & {
  /** Close every pooled socket (tests, shutdown). */
  destroy(): void;
};

const DEFAULT_MAX_SOCKETS = 128;
const DEFAULT_IDLE_SOCKET_TIMEOUT_MS = 4000;
const DEFAULT_MAX_RESPONSE_BYTES = 50 * 1024 * 1024;
/** The statuses fetch treats as redirects; with `redirect: 'error'` they are network errors. */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export function createSlackTransport(options: SlackTransportOptions = {}): SlackTransport {
  const maxSockets = options.maxSocketsPerHost ?? DEFAULT_MAX_SOCKETS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  // Idle pooled sockets close before the server's do (Node servers: 5 s), which avoids most
  // writes onto a socket the server is closing; a call in flight is bounded by WebClient's timeout.
  const agents = keepAliveAgents({
    maxSocketsPerHost: maxSockets,
    idleSocketTimeoutMs: options.idleSocketTimeoutMs ?? DEFAULT_IDLE_SOCKET_TIMEOUT_MS,
  });

  const transport = (input: string | URL | Request, init: RequestInit = {}): Promise<TransportResponse> => {
    const url = plainHttpUrl(input);
    const method = (init.method ?? 'GET').toUpperCase();
    const body = init.body ?? undefined;
    const handled =
      url !== undefined &&
      init.redirect === 'error' &&
      (method === 'POST' || (method === 'GET' && body === undefined)) &&
      (body === undefined || typeof body === 'string');
    // The cast: this project's lib "dom" (without "dom.iterable") omits the iterators Node's Headers has.
    if (!handled) return globalThis.fetch(input, init) as unknown as Promise<TransportResponse>;
    return send({
      url,
      method,
      headers: requestHeaders(init.headers),
      body,
      signal: init.signal ?? undefined,
      agent: agents[url.protocol as keyof KeepAliveAgents],
      maxBytes,
    });
  };
  return Object.assign(transport, {
    destroy() {
      for (const agent of Object.values(agents)) agent.destroy();
    },
  });
}

/** The transport `slackClientOptions` gives every WebClient: one socket pool per process. */
export const slackTransport = createSlackTransport();

interface Call {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  signal: AbortSignal | undefined;
  agent: http.Agent;
  maxBytes: number;
}

function send(call: Call): Promise<TransportResponse> {
  const { url, signal } = call;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    let settled = false;
    let current: http.ClientRequest | undefined;
    const finish = (error: unknown, response?: TransportResponse) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (response) resolve(response);
      else reject(error);
    };
    const onAbort = () => {
      if (signal) finish(abortReason(signal)); // only ever registered on a signal
      current?.destroy();
    };
    const fetchFailed = (cause: unknown) => finish(new TypeError('fetch failed', { cause }));

    const attempt = (freshSocket: boolean) => {
      let responded = false;
      let req: http.ClientRequest;
      try {
        // `agent: false` is a one-off connection outside the pool: certainly not the stale one.
        req = (url.protocol === 'https:' ? https : http).request(url, {
          method: call.method,
          headers: call.headers,
          agent: freshSocket ? false : call.agent,
        });
      } catch (err) {
        return fetchFailed(err); // an invalid header, say
      }
      current = req;
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (settled) return;
        // The server closed an idle keep-alive socket just as we reused it, so it never saw this
        // request: try once more, on a new connection (Node's docs recommend this retry).
        if (!freshSocket && isStaleSocketFailure(req, err, responded)) return attempt(true);
        fetchFailed(err);
      });
      req.on('response', (res) => {
        responded = true;
        const status = res.statusCode ?? 0;
        if (REDIRECT_STATUSES.has(status)) {
          res.destroy();
          return fetchFailed(new Error(`unexpected redirect (HTTP ${status} to ${res.headers.location ?? 'nowhere'})`));
        }
        readWhole(res, call.maxBytes, (err, raw) => {
          if (err || !raw) return fetchFailed(err);
          finish(
            undefined,
            new BufferedResponse(
              status,
              res.statusMessage ?? '',
              responseUrl(url),
              new ResponseHeaders(res.rawHeaders),
              raw,
              call.maxBytes,
            ),
          );
        });
      });
      req.end(call.body);
    };

    signal?.addEventListener('abort', onAbort, { once: true });
    attempt(false);
  });
}

/** The URL when it is one we handle: http(s), no credentials in it (fetch rejects those). */
function plainHttpUrl(input: string | URL | Request): URL | undefined {
  let url: URL;
  if (input instanceof URL) url = input;
  else if (typeof input !== 'string') return undefined;
  else {
    try {
      url = new URL(input);
    } catch {
      return undefined; // fetch rejects it: let it say so
    }
  }
  const plain = (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
  return plain ? url : undefined;
}

function requestHeaders(init: HeadersInit | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (init instanceof Headers || Array.isArray(init)) {
    for (const [name, value] of init as Iterable<[string, string]>) {
      const key = name.toLowerCase();
      headers[key] = key in headers ? `${headers[key]}, ${value}` : String(value);
    }
  } else if (init) {
    for (const [name, value] of Object.entries(init)) if (value !== undefined) headers[name] = String(value);
  }
  return headers;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

function responseUrl(url: URL): string {
  return url.hash ? url.href.slice(0, url.href.indexOf('#')) : url.href;
}

/** Collect the body, refusing more than `maxBytes` (declared or received). */
