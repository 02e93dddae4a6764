/**
 * An employee in the web chat, driving the real `/chat/api` over HTTP as the page does: sign in,
 * follow the event stream, send messages and files, click card buttons, reload.
 */
import { randomUUID } from 'node:crypto';
import type { ChatEntry, ChatFile } from '../../bots/web/wire';
import { ConsoleEventReader, type ApiResponse } from './console-agent';

// Wire shapes: entries as bots/web/wire.ts defines them.
export type WebFile = ChatFile;
export type WebEntry = ChatEntry;
export interface WebHistory {
  user: { id: string; name: string; guest: boolean };
  version: number;
  entries: WebEntry[];
  state: { phase: string; [key: string]: unknown };
}

export interface WebRequestOptions {
  body?: unknown;
  /** Sent as is (malformed bodies, file bytes). */
  rawBody?: string | Uint8Array;
  headers?: Record<string, string>;
  /** Override the user's credential; `null` sends no Authorization header. */
  credential?: string | null;
}

export class WebApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'WebApiError';
  }
}

/** POST /chat/api/session; a bare request, for tests of refusals. */
export async function webRequest<T = any>(
  bridgeUrl: string,
  method: string,
  path: string,
  options: WebRequestOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.credential) headers.authorization ??= `Bearer ${options.credential}`;
  let body: string | Uint8Array | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  // Buffer: the DOM typings of fetch do not take every Uint8Array flavour.
  const payload = body instanceof Uint8Array ? Buffer.from(body) : body;
  const res = await fetch(`${bridgeUrl}/chat/api${path}`, { method, headers, body: payload });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed as T };
}

export class WebChatUser {
  private reader?: ConsoleEventReader;
  /** Every stream opened so far, so waits see events from before a reload too. */
  private readonly readers: ConsoleEventReader[] = [];

  private constructor(
    readonly bridgeUrl: string,
    readonly credential: string,
    readonly user: { id: string; name: string; guest: boolean },
  ) {}

  /** Sign in (as a guest with no body) and open the event stream. */
  static async start(bridgeUrl: string, body: Record<string, unknown> = {}): Promise<WebChatUser> {
    const res = await webRequest(bridgeUrl, 'POST', '/session', { body });
    if (res.status !== 201)
      throw new WebApiError(res.status, res.body?.error?.code, `sign-in answered ${res.status}: ${JSON.stringify(res.body)}`);
    const user = new WebChatUser(bridgeUrl, res.body.credential, res.body.user);
    await user.connect();
    return user;
  }

  /** The same signed-in browser against another (restarted) bridge: what a reload after a restart does. */
  static async resume(bridgeUrl: string, from: WebChatUser): Promise<WebChatUser> {
    const user = new WebChatUser(bridgeUrl, from.credential, from.user);
    await user.connect();
    return user;
  }

  get id(): string {
    return this.user.id;
  }

  request<T = any>(method: string, path: string, options: WebRequestOptions = {}): Promise<ApiResponse<T>> {
    return webRequest<T>(this.bridgeUrl, method, path, { credential: this.credential, ...options });
  }

  async connect(): Promise<void> {
    const reader = new ConsoleEventReader(`${this.bridgeUrl}/chat/api/events`, this.credential);
    await reader.open();
    this.reader = reader;
    this.readers.push(reader);
  }

  async disconnect(): Promise<void> {
    await this.reader?.close();
    this.reader = undefined;
  }

  /** What a page reload does: drop the stream, load the history, open a new stream. */
  async reload(): Promise<WebHistory> {
    await this.disconnect();
    const history = await this.history();
    await this.connect();
    return history;
  }

  async history(): Promise<WebHistory> {
    return this.ok<WebHistory>('GET', '/history');
  }

  /** Send a message; `id` defaults to a fresh client id. */
  async say(text: string, options: { id?: string; files?: string[] } = {}): Promise<{ status: string; entry: WebEntry }> {
    return this.ok('POST', '/messages', {
      body: { id: options.id ?? randomUUID(), text, ...(options.files ? { files: options.files } : {}) },
    });
  }

  async upload(name: string, contentType: string, bytes: Uint8Array): Promise<WebFile & { id: string }> {
    const res = await this.ok<{ file: WebFile & { id: string } }>('POST', '/files', {
      rawBody: bytes,
      headers: { 'content-type': contentType, 'x-file-name': encodeURIComponent(name) },
    });
    return res.file;
  }

  async typing(): Promise<void> {
    await this.ok('POST', '/typing');
  }

  /** Press the button whose data has `lab === kind` on a card entry, with input values merged in. */
  async click(entry: WebEntry, kind: string, inputs: Record<string, unknown> = {}): Promise<{ status: string }> {
    const action = cardActions(entry).find((a) => (a.data as { lab?: string } | undefined)?.lab === kind);
    if (!action) throw new Error(`no "${kind}" button on the card: ${JSON.stringify(entry.card)}`);
    return this.ok('POST', '/actions', {
      body: { id: randomUUID(), messageId: entry.id, data: { ...(action.data as object), ...inputs } },
    });
  }

  /** Entries seen on the streams, latest revision of each, in arrival order. */
  entries(): WebEntry[] {
    const byId = new Map<string, WebEntry>();
    for (const reader of this.readers) {
      for (const e of reader.events) {
        if (e.event !== 'message' && e.event !== 'update') continue;
        const entry = e.data.entry as WebEntry;
        const known = byId.get(entry.id);
        if (!known || known.rev < entry.rev) byId.set(entry.id, entry);
      }
    }
    return [...byId.values()];
  }

  texts(): string[] {
    return this.entries().flatMap((e) => (e.text ? [e.text] : []));
  }

  /** The first entry (already received or still to come) that matches, in its latest revision. */
  async waitFor(match: (e: WebEntry) => boolean, timeoutMs = 5000): Promise<WebEntry> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.entries().find(match);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `no matching entry within ${timeoutMs} ms; got: ${JSON.stringify(this.entries().map((e) => e.text ?? e.cardText))}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  waitForText(pattern: RegExp | string, timeoutMs?: number): Promise<WebEntry> {
    const test = (t: string) => (typeof pattern === 'string' ? t.includes(pattern) : pattern.test(t));
    return this.waitFor((e) => typeof e.text === 'string' && test(e.text), timeoutMs);
  }

  waitForCard(match: (e: WebEntry) => boolean, timeoutMs?: number): Promise<WebEntry> {
    return this.waitFor((e) => e.card !== undefined && match(e), timeoutMs);
  }

  /** Wait until entry `id` has been revised (a card update) so that `match` holds. */
  waitForUpdate(id: string, match: (e: WebEntry) => boolean = () => true, timeoutMs?: number): Promise<WebEntry> {
    return this.waitFor((e) => e.id === id && e.rev > 0 && match(e) && this.wasUpdated(id), timeoutMs);
  }

  /** Events of any kind received on the current stream. */
  events(): { event: string; data: any }[] {
    return this.readers.flatMap((r) => r.events);
  }

  async close(): Promise<void> {
    for (const r of this.readers) await r.close();
  }

  private wasUpdated(id: string): boolean {
    return this.readers.some((r) => r.events.some((e) => e.event === 'update' && e.data.entry.id === id));
  }

  private async ok<T>(method: string, path: string, options?: WebRequestOptions): Promise<T> {
    const res = await this.request<any>(method, path, options);
    if (res.status >= 400) {
      const error = res.body?.error;
      throw new WebApiError(res.status, error?.code, error?.message ?? `HTTP ${res.status}`);
    }
    return res.body as T;
  }
}

/** The buttons of an entry's Adaptive Card. */
export function cardActions(entry: WebEntry): { type: string; title?: string; data?: unknown; url?: string }[] {
  return (entry.card?.actions as { type: string; title?: string; data?: unknown }[] | undefined) ?? [];
}

/** The inputs of an entry's Adaptive Card, anywhere in its body. */
export function cardInputs(entry: WebEntry): { type: string; id: string }[] {
  const inputs: { type: string; id: string }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) walk(child);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (typeof n.type === 'string' && n.type.startsWith('Input.')) inputs.push({ type: n.type, id: String(n.id) });
    for (const [k, v] of Object.entries(n)) if (k !== 'actions') walk(v);
  };
  walk(entry.card?.body);
  return inputs;
}

export const hasButton = (kind: string) => (e: WebEntry) => cardActions(e).some((a) => (a.data as { lab?: string })?.lab === kind);
export const isDetailsCard = (e: WebEntry) => cardInputs(e).some((i) => i.id === 'description');
