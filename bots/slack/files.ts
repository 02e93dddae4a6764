/**
 * Files both ways.
 *
 * User → desk: Slack keeps files private; `url_private(_download)` needs the bot token
 * (`files:read`). Some events carry stubs (`file_access: check_file_info`, no URLs) that
 * `files.info` completes. Two Slack habits to defend against:
 * - a missing or wrong token gets an HTML login page **with status 200**, not a 401;
 * - external files (Google Drive and the like) have URLs outside Slack, where the bot token
 *   must never be sent.
 * Downloads stop at `maxBytes`, whatever the file claims, so a large file is never read whole.
 *
 * Desk → user: bytes are uploaded with `filesUploadV2` (files.getUploadURLExternal, a POST of
 * the bytes, files.completeUploadExternal); a file that only has a URL is fetched first, within
 * the same size limit.
 */
import type { webApi } from '@slack/bolt';
import { BridgeError, ErrorCode } from '../core/errors';
import { FileRefusedError } from '../core/file-refusal';
import { formatBytes } from '../core/file-vault';
import type { FileRef } from '../core/ports';
import { discardBody, isPageInsteadOfFile, readBounded } from '../http/bounded-read';
import { guardedFetch, type OutboundFetch, type OutboundPolicy, type OutboundSwitches } from '../http/outbound-guard';
import { slackCall } from './client';

const DOWNLOAD_TIMEOUT_MS = 60_000;

/**
 * Where files are fetched from for Slack (bots/http/outbound-guard.ts): `slack.fileHosts` plus
 * the configured API host, under the process-wide `server.outboundFetch` switches.
 */
export function slackFilePolicy(settings: { fileHosts?: readonly string[]; apiUrl: string }, switches?: OutboundSwitches): OutboundPolicy {
  return {
    hosts: [...(settings.fileHosts ?? ['files.slack.com']), new URL(settings.apiUrl).hostname],
    allowHttp: switches?.allowHttp ?? false,
    allowPrivateNetworks: switches?.allowPrivateNetworks ?? false,
  };
}

export function slackFileFetch(settings: { fileHosts?: readonly string[]; apiUrl: string }, switches?: OutboundSwitches): OutboundFetch {
  return guardedFetch(slackFilePolicy(settings, switches));
}

export interface SlackFileDeps {
  client: webApi.WebClient;
  token: string;
  /** The Web API base URL; its host is trusted with the token like Slack's own hosts. */
  apiUrl: string;
  /** The outbound guard's fetch (`slackFileFetch`): allowed hosts only, redirects re-checked. */
  fetch: OutboundFetch;
}

/** Whether the bot token may be sent to `url`: Slack's HTTPS hosts (and the configured API host). */
export function tokenMayGoTo(url: string, apiUrl: string): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  if (target.host === new URL(apiUrl).host) return true;
  return target.protocol === 'https:' && (target.hostname === 'slack.com' || target.hostname.endsWith('.slack.com'));
}

/** A user's file refused, in the words of `bot.messages.fileRefusedReasons` (`{platform}` is Slack). */
function refused(reason: 'size' | 'externalFile' | 'storedOutside', values: Record<string, string>, details?: unknown): FileRefusedError {
  return new FileRefusedError(reason, { platform: 'Slack', ...values }, { details });
}

export async function downloadSlackFile(deps: SlackFileDeps, file: FileRef, maxBytes: number): Promise<Uint8Array> {
  const tooBig = () => refused('size', { max: formatBytes(maxBytes) });
  const handle = (file.handle ?? {}) as { id?: unknown; stub?: unknown; external?: unknown };
  let url = file.url;
  let expectedType = file.contentType;
  let external = handle.external === true;
  let size = file.size;

  if ((handle.stub === true || !url) && typeof handle.id === 'string') {
    const info = await slackCall('files.info', () => deps.client.files.info({ file: handle.id as string }), {
      code: ErrorCode.SurfaceUnavailable,
    });
    const f = info.file;
    url = f?.url_private_download ?? f?.url_private;
    expectedType = f?.mimetype ?? expectedType;
    external = external || f?.is_external === true;
    size = f?.size ?? size;
  }
  if (external) throw refused('externalFile', {});
  if (!url) throw new BridgeError(ErrorCode.SurfaceUnavailable, 'Slack gave no download URL for the file');
  if (size !== undefined && size > maxBytes) throw tooBig();
  if (!tokenMayGoTo(url, deps.apiUrl)) {
    throw refused('storedOutside', {}, { host: safeHost(url) });
  }

  // The guard follows redirects itself and drops the token once a hop leaves the first origin.
  const res = await deps
    .fetch(url, {
      headers: { authorization: `Bearer ${deps.token}` },
      signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS),
    })
    .catch((err: unknown) => {
      if (err instanceof BridgeError) throw err; // refused by the guard: the user is told why
      throw new BridgeError(ErrorCode.SurfaceUnavailable, 'Slack file download failed (no response)', { cause: err, retryable: true });
    });
  if (!res.ok) {
    await discardBody(res);
    throw new BridgeError(ErrorCode.SurfaceUnavailable, `Slack file download failed (HTTP ${res.status})`, {
      status: res.status,
      retryable: res.status >= 500 || res.status === 429,
    });
  }
  if (isPageInsteadOfFile(res, expectedType)) {
    await discardBody(res);
    // What Slack sends when the token may not read the file (files:read missing, not shared with the bot).
    throw new BridgeError(ErrorCode.Unauthorized, 'Slack answered with a login page instead of the file', {
      details: { hint: 'the bot token cannot read this file: is the files:read scope granted?' },
    });
  }
  return readBounded(res, { maxBytes, tooLarge: tooBig });
}

/**
 * Fetch a file an agent shared by URL (no credentials), reading at most `maxBytes`. Only from
 * the hosts the guard allows: a link anywhere else is refused, and the caller sends the link.
 */
export async function fetchFileBytes(url: string, maxBytes: number, fetchFn: OutboundFetch): Promise<Uint8Array> {
  const tooBig = () => new BridgeError(ErrorCode.FileRejected, `it is larger than ${formatBytes(maxBytes)}`);
  const res = await fetchFn(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
  if (!res.ok) {
    await discardBody(res);
    throw new BridgeError(ErrorCode.SurfaceSendFailed, `file download failed (HTTP ${res.status})`, { status: res.status });
  }
  return readBounded(res, { maxBytes, tooLarge: tooBig });
}

/** Upload bytes into the user's DM. Resolves with Slack's file id. */
export async function uploadToSlack(
  client: webApi.WebClient,
  channel: string,
  file: { name: string; bytes: Uint8Array; comment?: string },
): Promise<string | undefined> {
  const result = await slackCall('files.uploadV2', () =>
    client.filesUploadV2({
      channel_id: channel,
      file: Buffer.from(file.bytes),
      filename: file.name,
      title: file.name,
      ...(file.comment ? { initial_comment: file.comment } : {}),
    }),
  );
  const completions = (result as { files?: { files?: { id?: string }[] }[] }).files ?? [];
  return completions[0]?.files?.[0]?.id;
}

function safeHost(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}
