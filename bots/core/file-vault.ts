/**
 * Files in flight between a user and an agent, held in the Store for a limited time and served
 * by the bridge at an unguessable URL (`/files/<id>/<name>`). Desks that fetch files by URL
 * (a vendor desk) get that URL; surfaces that must upload bytes (Slack) get the bytes.
 *
 * Bytes live in the Store as base64, so a restart or another process still serves them; the
 * size limit in settings keeps that reasonable.
 */
import { randomBytes } from 'node:crypto';
import type { FileRef, Store } from './ports';

export interface VaultEntry {
  id: string;
  /** The chat the file belongs to: a URL only ever serves that chat's file. */
  sessionId: string;
  name: string;
  contentType: string;
  size: number;
  createdAt: number;
  /** base64 */
  data: string;
}

export interface FileVaultOptions {
  ttlMs: number;
  /** The bridge's public base URL; a function because it is known only once the server listens. */
  baseUrl: () => string;
  now: () => number;
}

const key = (id: string) => `file:${id}`;

/** A file the vault keeps: always with its URL (the only key to it). */
export type KeptFile = FileRef & { url: string };
export class FileVault {
  constructor(
    private readonly store: Store,
    private readonly options: FileVaultOptions,
  ) {}

  /** Keep `bytes` and return a reference with the bridge URL that serves them. */
  async put(sessionId: string, file: Pick<FileRef, 'name' | 'contentType'>, bytes: Uint8Array): Promise<KeptFile> {
    // 128 bits of randomness: the URL is the only key, so it must not be guessable.
    const id = randomBytes(16).toString('base64url');
    const entry: VaultEntry = {
      id,
      sessionId,
      name: file.name,
      contentType: file.contentType || 'application/octet-stream',
      size: bytes.byteLength,
      createdAt: this.options.now(),
      data: Buffer.from(bytes).toString('base64'),
    };
    await this.store.set(key(id), entry, this.options.ttlMs);
    return { name: entry.name, contentType: entry.contentType, size: entry.size, url: this.urlOf(entry), content: bytes };
  }

  async get(id: string): Promise<{ entry: Omit<VaultEntry, 'data'>; bytes: Buffer } | undefined> {
    if (!/^[\w-]{16,64}$/.test(id)) return undefined;
    const entry = await this.store.get<VaultEntry>(key(id));
    if (!entry) return undefined;
    const { data, ...meta } = entry;
    return { entry: meta, bytes: Buffer.from(data, 'base64') };
  }

  urlOf(entry: Pick<VaultEntry, 'id' | 'name'>): string {
    return `${this.options.baseUrl()}/files/${entry.id}/${encodeURIComponent(entry.name)}`;
  }

  /** The vault id in one of our URLs, or undefined for any other URL. */
  idOf(url: string | undefined): string | undefined {
    const prefix = `${this.options.baseUrl()}/files/`;
    if (!url?.startsWith(prefix)) return undefined;
    return url.slice(prefix.length).split('/')[0];
  }

  /** Fill in the bytes of a file that lives in the vault (agent files on their way to a user). */
  async materialize(file: FileRef): Promise<FileRef> {
    if (file.content) return file;
    const id = this.idOf(file.url);
    const found = id ? await this.get(id) : undefined;
    return found ? { ...file, size: found.entry.size, content: found.bytes } : file;
  }
}

/** Whether `contentType` is allowed by a list like ["image/*", "application/pdf"]; empty allows all. */
export function typeAllowed(contentType: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const type = contentType.toLowerCase().split(';')[0].trim();
  return allowed.some((a) => {
    const pattern = a.toLowerCase();
    return pattern.endsWith('/*') ? type.startsWith(pattern.slice(0, -1)) : type === pattern;
  });
}

/** "2.5 MB" for messages. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;
}
