/**
 * Fetching the files a Teams user shares, for `TeamsSurface.download`.
 *
 * Two kinds reach a bot in a 1:1 chat (platforms.md §1.4), told apart by `FileRef.handle.teams`
 * (set by inbound.ts):
 * - `download-info`: a file from the user's OneDrive (`file.download.info`). Its `downloadUrl`
 *   is pre-authorised and short-lived: GET it with no token. When it has expired, SharePoint
 *   answers with a sign-in page (200, text/html) rather than an error, so HTML is refused.
 * - `connector-image`: an image pasted into the message, kept by the Bot Connector. GET it with
 *   the bot's own token, and only ever from the Bot Connector: the token must not reach any
 *   other host, so the URL is checked against the conversation's `serviceUrl` here (again) and
 *   the token is dropped on a redirect to another origin.
 *
 * Whatever the kind: only from the allowed hosts (`teams.fileHosts`), never from a private
 * address (bots/http/outbound-guard.ts); at most `maxBytes` are read (Content-Length is checked first, then the
 * stream is counted and aborted as soon as it passes the limit), the whole fetch has a deadline,
 * and every failure is a `FileRefusedError` (`file_rejected`) whose reason
 * (`bot.messages.fileRefusedReasons`) completes the sentence '"report.pdf" was not sent to the
 * agent: …' for the user.
 */
import { BridgeError } from '../core/errors';
import { type FileRefusedReason, FileRefusedError } from '../core/file-refusal';
import { formatBytes } from '../core/file-vault';
import { discardBody, expectsHtml, isPageInsteadOfFile, looksLikeHtml, readBounded } from '../http/bounded-read';
import type { OutboundFetch } from '../http/outbound-guard';

/** What `FileRef.handle` holds for a Teams file. */
export type TeamsFileHandle = { teams: TeamsFileKind };
export type TeamsFileKind = 'download-info' | 'connector-image';

export function teamsFileKind(handle: { readonly [key: string]: unknown } | undefined): TeamsFileKind | undefined {
  const kind = handle?.teams;
  return kind === 'download-info' || kind === 'connector-image' ? kind : undefined;
}

/**
 * Hosts of the Bot Connector service that keeps pasted images (public and government clouds).
 * An image URL elsewhere (Teams' emoji CDN, a chat service's own storage) is never fetched with
 * the bot token.
 */
const CONNECTOR_HOSTS = ['smba.trafficmanager.net', 'botframework.com', 'botframework.azure.us', 'teams.microsoft.us'];

/**
 * Whether `url` is served by the Bot Connector of this conversation: the same origin as its
 * `serviceUrl` (regional, e.g. https://smba.trafficmanager.net/amer/), or an HTTPS URL on a
 * Bot Connector host.
 */
export function isConnectorUrl(url: string, serviceUrl: string | undefined): boolean {
  const target = parseHttpUrl(url);
  if (!target) return false;
  const service = serviceUrl ? parseHttpUrl(serviceUrl) : undefined;
  if (service && target.origin === service.origin) return true;
  const host = target.hostname.toLowerCase();
  return target.protocol === 'https:' && CONNECTOR_HOSTS.some((h) => host === h || host.endsWith(`.${h}`));
}

export function parseHttpUrl(raw: string): URL | undefined {
  try {
    const url = new URL(raw);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

export interface FetchFileOptions {
  url: string;
  maxBytes: number;
  /** The whole fetch, redirects and body included. */
  timeoutMs: number;
  /** `Authorization: Bearer …`, sent to the first origin only (never across a redirect). */
  bearerToken?: string;
  /** The type the file claims to be: an HTML page is refused unless HTML was expected. */
  expectedType?: string;
  /** The outbound guard's fetch (bots/http/outbound-guard.ts): allowed hosts, no private addresses. */
  fetch: OutboundFetch;
}

/** GET a file with a size limit and a deadline. Throws `FileRefusedError` (`file_rejected`). */
export async function fetchFile(options: FetchFileOptions): Promise<Uint8Array> {
  const doFetch = options.fetch;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  timer.unref?.();
  try {
    const res = await follow(doFetch, options, controller.signal);
    if (!res.ok) {
      await discardBody(res);
      throw rejected(
        statusReason(res.status),
        { status: String(res.status) },
        { status: res.status, retryable: res.status === 429 || res.status >= 500 },
      );
    }
    if (isPageInsteadOfFile(res, options.expectedType)) {
      await discardBody(res);
      throw rejected('pageInsteadOfFile', {}, { details: { contentType: res.headers.get('content-type') ?? '' } });
    }
    const bytes = await readBounded(res, {
      maxBytes: options.maxBytes,
      tooLarge: (declared) => tooLarge(options.maxBytes, declared),
      onOverflow: () => controller.abort(),
    });
    if (!expectsHtml(options.expectedType) && looksLikeHtml(bytes))
      throw rejected('pageInsteadOfFile', {}, { details: { sniffed: 'html' } });
    return bytes;
  } catch (e) {
    if (e instanceof BridgeError) throw e;
    if (timedOut) throw rejected('downloadTimeout', {}, { retryable: true, cause: e });
    throw rejected('downloadFailed', {}, { retryable: true, cause: e });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Redirects are followed by the outbound guard: each hop is checked against the allowed hosts
 * and private addresses again, and the bearer token is dropped once a hop leaves the first
 * origin, so it never reaches another host.
 */
async function follow(doFetch: OutboundFetch, options: FetchFileOptions, signal: AbortSignal): Promise<Response> {
  const start = parseHttpUrl(options.url);
  if (!start) throw rejected('noAddress');
  const headers: Record<string, string> = { accept: '*/*' };
  if (options.bearerToken) headers.authorization = `Bearer ${options.bearerToken}`;
  return doFetch(start, { headers, redirect: 'follow', signal });
}

function statusReason(status: number): FileRefusedReason {
  if (status === 401 || status === 403) return 'downloadForbidden';
  if (status === 404 || status === 410) return 'downloadGone';
  if (status === 429 || status >= 500) return 'downloadBusy';
  return 'downloadStatus';
}

function tooLarge(maxBytes: number, size?: number): BridgeError {
  return rejected('size', { max: formatBytes(maxBytes) }, { status: 413, details: size === undefined ? undefined : { size } });
}

/** A refusal in the user's terms; `{platform}` is always Teams here. */
export function teamsRefusal(
  reason: FileRefusedReason,
  values: Record<string, string> = {},
  options: { status?: number; retryable?: boolean; cause?: unknown; details?: unknown } = {},
): FileRefusedError {
  return new FileRefusedError(reason, { platform: 'Teams', ...values }, options);
}

const rejected = teamsRefusal;
