/**
 * An agent driving the console over its real HTTP API: one method per endpoint, an SSE reader
 * that collects events, and an `AgentDriver` for the shared Desk conformance suite.
 * Reusable by end-to-end tests: give it the console's base URL (`http://host:port/console`).
 */
import type { ChatAttachment, ChatMessage } from '../../adapters/desks/console/chat-record';
import type { AgentDriver } from '../contract/desk.contract';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  /** JSON-encoded unless `rawBody` is given. */
  body?: unknown;
  /** Sent as is (malformed JSON tests). */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Override the client's token; `null` sends no Authorization header. */
  token?: string | null;
}

export class ConsoleApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ConsoleApiError';
  }
}

// Wire shapes: messages as the console stores and serves them; chats loose, tests check what they need.
export type WireMessage = ChatMessage;
export type WireFile = ChatAttachment;
export interface FileUpload {
  bytes: Uint8Array;
  /** Sent as `?name=`; leave out to test a missing name or to use `headers['x-file-name']`. */
  name?: string;
  /** The Content-Type header; `null` sends none. */
  contentType?: string | null;
  /** Caption, as `?text=`. */
  text?: string;
  headers?: Record<string, string>;
  token?: string | null;
  /** Stream the body without Content-Length. */
  chunked?: boolean;
}
export interface WireChat {
  id: string;
  status: 'queued' | 'live' | 'ended';
  title: string;
  details: string;
  agents: { id: string; name: string; avatarUrl?: string }[];
  messages: WireMessage[];
  /** The user's conversation with the bot before the handoff. */
  history: { from: 'user' | 'bot'; text: string; at: number }[];
  [key: string]: unknown;
}
export interface WireSummary {
  id: string;
  status: 'queued' | 'live' | 'ended';
  title: string;
  [key: string]: unknown;
}

export interface ConsoleEvent {
  event: string;
  data: any;
}

export class ConsoleAgentClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? this.token : options.token;
    if (token !== null) headers.authorization ??= `Bearer ${token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(this.baseUrl + path, { method, headers, body, redirect: 'follow' });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  me() {
    return this.ok<{ id: string; name: string; avatarUrl?: string }>('GET', '/api/me');
  }
  async chats(): Promise<WireSummary[]> {
    return (await this.ok<{ chats: WireSummary[] }>('GET', '/api/chats')).chats;
  }
  chat(id: string) {
    return this.ok<WireChat>('GET', `/api/chats/${encodeURIComponent(id)}`);
  }
  accept(id: string) {
    return this.ok<WireChat>('POST', `/api/chats/${encodeURIComponent(id)}/accept`);
  }
  async messages(id: string): Promise<WireMessage[]> {
    return (await this.ok<{ messages: WireMessage[] }>('GET', `/api/chats/${encodeURIComponent(id)}/messages`)).messages;
  }
  post(id: string, text: string, isPrivate = false) {
    return this.ok<WireMessage>('POST', `/api/chats/${encodeURIComponent(id)}/messages`, { body: { text, private: isPrivate } });
  }
  /** POST /api/chats/:id/files with the bytes as the body; resolves with whatever the server said. */
  async upload<T = any>(id: string, file: FileUpload): Promise<ApiResponse<T>> {
    const params = new URLSearchParams();
    if (file.name !== undefined) params.set('name', file.name);
    if (file.text !== undefined) params.set('text', file.text);
    const headers: Record<string, string> = { ...file.headers };
    const token = file.token === undefined ? this.token : file.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (file.contentType !== null) headers['content-type'] = file.contentType ?? 'application/octet-stream';
    const query = params.toString();
    const body = file.chunked
      ? new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < file.bytes.byteLength; i += 16 * 1024) controller.enqueue(file.bytes.slice(i, i + 16 * 1024));
            controller.close();
          },
        })
      : file.bytes;
    const res = await fetch(`${this.baseUrl}/api/chats/${encodeURIComponent(id)}/files${query ? `?${query}` : ''}`, {
      method: 'POST',
      headers,
      body,
      ...(file.chunked ? { duplex: 'half' } : {}),
    } as RequestInit);
    const text = await res.text();
    const parsed = (res.headers.get('content-type') ?? '').includes('json') && text ? JSON.parse(text) : text;
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  /** Upload and expect success: the chat message with the file. */
  async sendFile(id: string, file: FileUpload): Promise<WireMessage> {
    const res = await this.upload(id, file);
    if (res.status >= 400) throw new ConsoleApiError(res.status, res.body?.error?.code, res.body?.error?.message ?? `HTTP ${res.status}`);
    return res.body as WireMessage;
  }

  async typing(id: string): Promise<void> {
    await this.ok('POST', `/api/chats/${encodeURIComponent(id)}/typing`);
  }
  end(id: string) {
    return this.ok<WireChat>('POST', `/api/chats/${encodeURIComponent(id)}/end`);
  }

  /** Open the event stream; resolves once the server said `ready`. */
  async events(): Promise<ConsoleEventReader> {
    const reader = new ConsoleEventReader(`${this.baseUrl}/api/events`, this.token);
    await reader.open();
    return reader;
  }

  private async ok<T>(method: string, path: string, options?: RequestOptions): Promise<T> {
    const res = await this.request<any>(method, path, options);
    if (res.status >= 400) {
      const error = res.body?.error;
      throw new ConsoleApiError(res.status, error?.code, error?.message ?? `HTTP ${res.status}`);
    }
    return res.body as T;
  }
}

/** Reads an SSE stream with fetch (as the page does) and keeps every event and comment. */
export class ConsoleEventReader {
  readonly events: ConsoleEvent[] = [];
  readonly comments: string[] = [];
  status = 0;
  contentType = '';
  private readonly controller = new AbortController();
  private done?: Promise<void>;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  async open(timeoutMs = 5000): Promise<void> {
    const res = await fetch(this.url, {
      headers: { authorization: `Bearer ${this.token}`, accept: 'text/event-stream' },
      signal: this.controller.signal,
    });
    this.status = res.status;
    this.contentType = res.headers.get('content-type') ?? '';
    if (res.status !== 200 || !res.body) {
      await res.text().catch(() => '');
      throw new ConsoleApiError(res.status, undefined, `events: HTTP ${res.status}`);
    }
    this.done = this.read(res.body);
    await this.next((e) => e.event === 'ready', timeoutMs);
  }

  /** The first event (already received or still to come) that matches. */
  next(match: (e: ConsoleEvent) => boolean, timeoutMs = 5000): Promise<ConsoleEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.find(match);
        if (!found) return false;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(found);
        return true;
      };
      const waiter = () => void check();
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching event within ${timeoutMs} ms; got: ${this.events.map((e) => e.event).join(', ')}`));
      }, timeoutMs);
      if (!check()) this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.done?.catch(() => undefined);
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let boundary = buffer.indexOf('\n\n'); boundary >= 0; boundary = buffer.indexOf('\n\n')) {
          this.parse(buffer.slice(0, boundary));
          buffer = buffer.slice(boundary + 2);
        }
      }
    } catch {
      // Aborted by close(), or the server ended the stream.
    }
  }

  private parse(block: string): void {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length === 0) return;
    this.events.push({ event, data: JSON.parse(data.join('\n')) });
    for (const w of [...this.waiters]) w();
  }
}

/** The far side of the conformance suite for the console: agents working through the HTTP API. */
export function consoleAgentDriver(agents: { name: string; client: ConsoleAgentClient }[]): AgentDriver {
  const pick = (i = 0) => {
    const a = agents[i];
    if (!a) throw new Error(`no console agent #${i} in this harness`);
    return a;
  };
  return {
    agentName: (i) => pick(i).name,
    async accept(sessionId, i) {
      await pick(i).client.accept(sessionId);
    },
    async say(sessionId, text, opts = {}) {
      await pick(opts.agentIndex).client.post(sessionId, text, opts.private ?? false);
    },
    async end(sessionId, i) {
      await pick(i).client.end(sessionId);
    },
    async received(sessionId) {
      const messages = await pick(0).client.messages(sessionId);
      return messages.filter((m) => m.from === 'user').map((m) => m.text);
    },
    async ended(sessionId) {
      return (await pick(0).client.chat(sessionId)).status === 'ended';
    },
    async context(sessionId) {
      return (await pick(0).client.chat(sessionId)).history.map((h) => h.text).join('\n');
    },
  };
}
