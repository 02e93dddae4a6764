/**
 * Files a web user sends. The page uploads each file on its own (`POST /chat/api/files`, the bytes
 * as the body) and then names the uploads in a message, so text and files travel together and a
 * retried message does not upload twice.
 *
 * Uploads are kept in the FileVault under the uploader (`uploadOwner`): the vault serves the
 * user's own copy at an unguessable URL (so their image shows after a reload), and
 * `WebSurface.download` hands the bytes to the broker, which keeps the agent's copy per chat.
 */
import type { Request } from 'express';
import { fillIn } from '../core/card-updates';
import { BridgeError, ErrorCode } from '../core/errors';
import { typeAllowed, type FileVault } from '../core/file-vault';
import type { Clock, FileRef, Store } from '../core/ports';
import type { CoreSettings } from '../core/settings';
import { uploadOwner } from './surface';
import type { ChatFile } from './wire';

export interface UploadDeps {
  files: FileVault;
  store: Store;
  clock: Clock;
  limits: CoreSettings['files'];
  /** What the page shows under the message box when an upload is refused (`bot.messages.uploads`). */
  wording: CoreSettings['messages']['uploads'];
}

/** A file this user uploaded: what the desk will get (through `download`) and what the page shows. */
export async function uploadedFile(vault: FileVault, userId: string, id: string): Promise<{ ref: FileRef; shown: ChatFile }> {
  const found = await vault.get(id);
  if (!found || found.entry.sessionId !== uploadOwner(userId)) {
    throw new BridgeError(
      ErrorCode.BadRequest,
      `Invalid message. files: no upload ${id} (it expired, or was never uploaded with POST /chat/api/files).`,
    );
  }
  const { entry } = found;
  const url = vault.urlOf(entry);
  const meta = { name: entry.name, contentType: entry.contentType, size: entry.size };
  return { ref: { ...meta, url, handle: { upload: entry.id } }, shown: { ...meta, url: new URL(url).pathname } };
}

/** Keep an upload in the FileVault (it serves the user's own copy) and count it against the user. */
export async function acceptUpload(deps: UploadDeps, userId: string, req: Request): Promise<ChatFile & { id: string }> {
  const { limits, wording } = deps;
  if (limits.maxPerSession === 0) throw new BridgeError(ErrorCode.FileRejected, wording.turnedOff);
  const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  if (bytes.byteLength === 0) {
    throw new BridgeError(ErrorCode.BadRequest, 'The upload is empty: send the file bytes as the body, its type as Content-Type.');
  }
  const contentType = mimeOf(req.get('content-type'));
  if (!typeAllowed(contentType, limits.allowedTypes)) {
    throw new BridgeError(ErrorCode.FileRejected, fillIn(wording.typeNotAccepted, { type: contentType }));
  }
  const name = fileName(req.get('x-file-name') ?? (typeof req.query.name === 'string' ? req.query.name : undefined));
  await countUpload(deps, userId, limits.maxPerSession * 2);
  const kept = await deps.files.put(uploadOwner(userId), { name, contentType }, bytes);
  const id = deps.files.idOf(kept.url) ?? kept.url; // a vault URL always carries its id
  return { id, name: kept.name, contentType: kept.contentType, size: kept.size ?? bytes.byteLength, url: new URL(kept.url).pathname };
}

/**
 * Uploads sit in the store until they expire, so one user may not keep adding them: at most
 * twice the per-chat file limit per hour (a retry or a file sent outside a chat costs one).
 * Counted with a plain read and write: a rough cap against abuse, not an exact quota.
 */
async function countUpload(deps: UploadDeps, userId: string, perHour: number): Promise<void> {
  const hour = Math.floor(deps.clock.now() / 3_600_000);
  const key = `web:uploads:${userId}:${hour}`;
  const count = (await deps.store.get<number>(key)) ?? 0;
  if (count >= perHour) {
    throw new BridgeError(ErrorCode.FileRejected, fillIn(deps.wording.tooMany, { max: String(perHour) }), { status: 429 });
  }
  await deps.store.set(key, count + 1, 3_600_000);
}

function mimeOf(header: string | undefined): string {
  const type = (header ?? '').split(';')[0].trim().toLowerCase();
  return /^[\w.+-]+\/[\w.+-]+$/.test(type) ? type : 'application/octet-stream';
}

/** The name as the user knows it, minus anything that could act as a path or break a header. */
function fileName(raw: string | undefined): string {
  let name = raw ?? '';
  try {
    name = decodeURIComponent(name);
  } catch {
    throw new BridgeError(ErrorCode.BadRequest, 'X-File-Name must be the file name encoded with encodeURIComponent.');
  }
  // eslint-disable-next-line no-control-regex
  name = name
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it replaces
    .replace(/[\u0000-\u001f\u007f/\\]/g, '_')
    .trim()
    .slice(0, 200);
  return name && name !== '.' && name !== '..' ? name : 'file';
}
