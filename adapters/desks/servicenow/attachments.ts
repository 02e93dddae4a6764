/**
 * Files both ways.
 *
 * User -> agent. ServiceNow downloads each attachment from a URL with the headers we give it.
 * In `url` mode that is the bridge's vault URL (128-bit id, one chat's file) plus
 * `headers.Authorization: Bearer <the chat's secret>`; the files route asks `authorize`, which
 * accepts only that chat's secret and only for `files.urlTtlMinutes`. In `upload` mode the bytes
 * go to `/api/now/v1/cccif/media/upload` first and ServiceNow gets its own media URL.
 *
 * Agent -> user. Agents' files arrive as image/link outputs pointing at the instance, which the
 * user's client cannot open without a ServiceNow login; they are downloaded with our credentials
 * into the vault, so the surface can show or upload them. Files elsewhere pass through as URLs.
 */
import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { asBridgeError, BridgeError, ErrorCode } from '../../../bots/core/errors';
import type { FileVault, VaultEntry } from '../../../bots/core/file-vault';
import { guardedFetch, type OutboundFetch, type OutboundSwitches } from '../../../bots/http/outbound-guard';
import type { Clock, DeskEvent, FileRef, Logger, Store } from '../../../bots/core/ports';
import type { RestAuth } from './auth';
import { snKeys, type ChatRecord, type ChatRepo, type FileGrant } from './chat-repo';
import type { ServiceNowSettings } from './config';
import type { ServiceNowHttp } from './http';
import type { MediaUploadResult, WireAttachment } from './wire-types';
import { safeEqual } from '../kit/webhook-signature';

export interface AttachmentDeps {
  store: Store;
  clock: Clock;
  /** How long the vault keeps files (grants must outlive them). */
  fileTtlMs: number;
  vault: FileVault;
  repo: ChatRepo;
  http: ServiceNowHttp;
  auth: RestAuth;
  settings: ServiceNowSettings;
  logger: Logger;
  /** `server.outboundFetch`; default: https only, no private addresses. */
  outbound?: OutboundSwitches;
}

export class Attachments {
  /** Agent files are fetched only from the instance's host, through the outbound guard. */
  private readonly guarded: OutboundFetch;

  constructor(private readonly d: AttachmentDeps) {
    this.guarded = guardedFetch({
      hosts: [new URL(d.settings.instanceUrl).hostname],
      allowHttp: d.outbound?.allowHttp ?? false,
      allowPrivateNetworks: d.outbound?.allowPrivateNetworks ?? false,
    });
  }

  /** The `message.attachment` for one of the user's files. */
  async toWire(chat: ChatRecord, file: FileRef): Promise<WireAttachment> {
    return this.d.settings.files.mode === 'upload' ? this.upload(chat, file) : this.byUrl(chat, file);
  }

  /** Agent files on the instance, fetched into the vault; a file that cannot be fetched stays a link. */
  async forUser(event: DeskEvent): Promise<DeskEvent> {
    if (event.type !== 'agentMessage' || !event.files?.length) return event;
    const files: FileRef[] = [];
    const links: string[] = [];
    for (const file of event.files) {
      if (!file.url || !this.onInstance(file.url)) {
        files.push(file);
        continue;
      }
      try {
        files.push(await this.fetchForUser(event.sessionId, file, file.url));
      } catch (e) {
        this.d.logger.warn(
          { err: asBridgeError(e), sessionId: event.sessionId, file: file.name },
          'servicenow: agent file not fetched; sending its link',
        );
        links.push(`[${file.name}](${file.url})`);
      }
    }
    const text = [event.text, ...links].filter((t) => t.trim()).join('\n');
    return { ...event, text, files: files.length > 0 ? files : undefined };
  }

  /**
   * The files route's check. Files handed to ServiceNow need this chat's secret, until their URL
   * expires; other vault files (agent files for the user, a surface's own uploads) keep the
   * bridge's rule: the unguessable URL is enough.
   */
  async authorize(req: Request, entry: Omit<VaultEntry, 'data'>): Promise<boolean> {
    const grant = await this.d.store.get<FileGrant>(snKeys.file(entry.id));
    if (!grant) return true;
    if (grant.sessionId !== entry.sessionId || this.d.clock.now() > grant.expiresAt) return false;
    const chat = await this.d.repo.get(entry.sessionId);
    return !!chat && safeEqual(req.headers.authorization, `Bearer ${chat.fileSecret}`);
  }

  private async byUrl(chat: ChatRecord, file: FileRef): Promise<WireAttachment> {
    let url = file.url;
    let id = this.d.vault.idOf(url);
    if (!id) {
      // Not one of ours yet (a caller that passed bytes only): keep it so the URL can serve it.
      if (!file.content) throw new BridgeError(ErrorCode.FileRejected, `${file.name} has neither a bridge URL nor bytes`);
      url = (await this.d.vault.put(chat.sessionId, file, file.content)).url;
      id = this.d.vault.idOf(url);
    }
    // The vault names every file it keeps by URL; without both, ServiceNow could not fetch it.
    if (!id || !url) throw new BridgeError(ErrorCode.FileRejected, `${file.name} has no bridge URL`);
    const urlTtlMs = this.d.settings.files.urlTtlMinutes * 60 * 1000;
    const grant: FileGrant = { sessionId: chat.sessionId, expiresAt: this.d.clock.now() + urlTtlMs };
    // A minute past the file's own lifetime, so the grant can never expire before the file does.
    await this.d.store.set(snKeys.file(id), grant, Math.max(this.d.fileTtlMs, urlTtlMs) + 60_000);
    return {
      clientAttachmentId: id,
      contentType: file.contentType || 'application/octet-stream',
      fileName: file.name,
      url,
      headers: { Authorization: `Bearer ${chat.fileSecret}` },
    };
  }

  private async upload(chat: ChatRecord, file: FileRef): Promise<WireAttachment> {
    const bytes = file.content ?? (await this.d.vault.materialize(file)).content;
    if (!bytes) throw new BridgeError(ErrorCode.FileRejected, `${file.name} could not be read for upload`);
    const { settings, auth } = this.d;
    const contentType = file.contentType || 'application/octet-stream';
    const form = () => {
      const f = new FormData();
      f.append('user_id', chat.who.userId);
      if (settings.files.providerApplicationId) f.append('provider_application_id', settings.files.providerApplicationId);
      f.append('file', new Blob([Buffer.from(bytes)], { type: contentType }), file.name);
      return f;
    };
    const answer = await this.d.http.json<MediaUploadResult>({
      op: 'media upload',
      method: 'POST',
      url: `${settings.instanceUrl}/api/now/v1/cccif/media/upload`,
      // Content-Type is left to fetch: it adds the multipart boundary.
      headers: async () => ({ ...(await auth.headers()), Accept: 'application/json' }),
      body: form(),
      retry: 'unprocessed',
      onUnauthorized: () => auth.invalidate(),
    });
    const mediaUrl = answer?.result?.mediaUrl;
    if (!mediaUrl) throw new BridgeError(ErrorCode.DeskRejected, 'ServiceNow returned no media URL for an upload');
    return { clientAttachmentId: answer?.result?.attachmentId ?? randomUUID(), contentType, fileName: file.name, url: mediaUrl };
  }

  private async fetchForUser(sessionId: string, file: FileRef, url: string): Promise<FileRef> {
    const { auth } = this.d;
    const res = await this.d.http.send({
      op: 'agent file download',
      method: 'GET',
      url,
      headers: async () => ({ ...(await auth.headers()), Accept: '*/*' }),
      retry: 'safe',
      onUnauthorized: () => auth.invalidate(),
      maxBytes: this.d.settings.files.maxDownloadBytes,
      guarded: this.guarded,
    });
    const type = res.headers.get('content-type')?.split(';')[0].trim();
    const name = nameFromDisposition(res.headers.get('content-disposition')) ?? file.name;
    const contentType = type && type !== 'application/octet-stream' ? type : file.contentType;
    // No grant: the user's client fetches it by its unguessable URL, like any file the bridge serves.
    return this.d.vault.put(sessionId, { name, contentType }, res.body);
  }

  private onInstance(url: string): boolean {
    return url.toLowerCase().startsWith(`${this.d.settings.instanceUrl.toLowerCase()}/`);
  }
}

function nameFromDisposition(header: string | null): string | undefined {
  if (!header) return undefined;
  const star = /filename\*\s*=\s*(?:UTF-8'')?([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ''));
    } catch {
      // fall through to the plain form
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(header);
  return plain?.[1].trim() || undefined;
}
