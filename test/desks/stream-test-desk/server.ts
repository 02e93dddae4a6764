/**
 * The far side of the stream test desk: a tiny live-agent system on 127.0.0.1 that, like Amazon
 * Connect or Salesforce MIAW, takes chats over REST and streams each chat's events over a
 * WebSocket of its own. Its agents are driven in-process (`accept`, `say`, `end`).
 *
 * Wire:
 * - `POST /chats` `{ sessionId, title, details, historyText }` -> 201 `{ chatId }` (queued event 1).
 * - `POST /chats/:chatId/messages` `{ messageId, text }` -> 200 (a repeated messageId is kept
 *   once), 404 unknown chat, 409 chat ended.
 * - `POST /chats/:chatId/end` -> 200, also when ended already (then closes its streams).
 * - `GET /availability` -> `{ agentsOnline }`.
 * - WebSocket `/chats/:chatId/stream?after=<eventId>`: every event with a larger id first (the
 *   replay), then the live ones, as JSON frames `{ id, kind, agent?, messageId?, text?, position? }`
 *   with ids 1, 2, 3 ... per chat. An ended chat's stream closes after the replay. The upgrade is
 *   refused with 404 for an unknown chat and 410 for an ended one with nothing left to replay.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import WebSocket from 'ws';

export interface WireAgent {
  id: string;
  name: string;
}

export type WireEvent =
  | { id: number; kind: 'queued'; position: number }
  | { id: number; kind: 'joined' | 'left'; agent: WireAgent }
  | { id: number; kind: 'message'; agent: WireAgent; messageId: string; text: string }
  | { id: number; kind: 'ended'; agent: WireAgent };

type NewEvent = WireEvent extends infer E ? (E extends WireEvent ? Omit<E, 'id'> : never) : never;

interface Chat {
  chatId: string;
  sessionId: string;
  title: string;
  details: string;
  historyText: string;
  status: 'queued' | 'live' | 'ended';
  events: WireEvent[];
  received: string[];
  seen: Set<string>;
  notes: string[];
  streams: Set<WebSocket>;
}

export const STREAM_TEST_AGENTS: WireAgent[] = [
  { id: 'agent-ada', name: 'Ada Agent' },
  { id: 'agent-bo', name: 'Bo Agent' },
];

const MAX_BODY_BYTES = 64 * 1024;

export class StreamTestServer {
  readonly agents = STREAM_TEST_AGENTS;
  agentsOnline = 1;
  /** Every stream opened, with the cursor it resumed after (tests: resumes are not replays from 0). */
  readonly streamOpens: { sessionId: string; after: number }[] = [];
  private readonly chats = new Map<string, Chat>();
  private readonly bySession = new Map<string, Chat>();
  private readonly http: Server;
  private readonly wss = new WebSocket.Server({ noServer: true });
  private count = 0;
  url = '';

  constructor() {
    this.http = createServer((req, res) => void this.route(req, res));
    this.http.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  // ------------------------------------------------------------------ the agents' side

  chat(sessionId: string): Chat {
    const chat = this.bySession.get(sessionId);
    if (!chat) throw new Error(`no chat for session ${sessionId}`);
    return chat;
  }

  /** The session ids of the chats opened so far, oldest first. */
  sessionIds(): string[] {
    return [...this.bySession.keys()];
  }

  /** Open WebSocket streams, per chat (tests: who is connected). */
  streamsOf(sessionId: string): number {
    return this.bySession.get(sessionId)?.streams.size ?? 0;
  }

  accept(sessionId: string, agentIndex = 0): void {
    const chat = this.chat(sessionId);
    if (chat.status === 'ended') throw new Error('chat ended');
    chat.status = 'live';
    this.emit(chat, { kind: 'joined', agent: this.agents[agentIndex] });
  }

  say(sessionId: string, text: string, opts: { agentIndex?: number; private?: boolean } = {}): void {
    const chat = this.chat(sessionId);
    if (chat.status === 'ended') throw new Error('chat ended');
    if (opts.private) {
      chat.notes.push(text); // between agents: never on the customer's stream
      return;
    }
    const id = chat.events.length + 1;
    this.emit(chat, { kind: 'message', agent: this.agents[opts.agentIndex ?? 0], messageId: `${chat.chatId}-m${id}`, text });
  }

  end(sessionId: string, agentIndex = 0): void {
    const chat = this.chat(sessionId);
    if (chat.status === 'ended') return;
    this.emit(chat, { kind: 'ended', agent: this.agents[agentIndex] });
    this.finish(chat);
  }

  /** Cut every stream without a close handshake, as a network failure would. */
  dropStreams(): void {
    for (const ws of this.wss.clients) ws.terminate();
  }

  // ------------------------------------------------------------------ wire

  private emit(chat: Chat, event: NewEvent): void {
    const full = { id: chat.events.length + 1, ...event } as WireEvent;
    chat.events.push(full);
    const frame = JSON.stringify(full);
    for (const ws of chat.streams) ws.send(frame);
  }

  private finish(chat: Chat): void {
    chat.status = 'ended';
    for (const ws of chat.streams) ws.close(1000, 'chat ended');
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean);
    try {
      if (req.method === 'GET' && url.pathname === '/availability') return send(res, 200, { agentsOnline: this.agentsOnline });
      if (req.method === 'POST' && url.pathname === '/chats') {
        const body = await readJson(req);
        if (typeof body.sessionId !== 'string' || typeof body.title !== 'string')
          return send(res, 400, { error: 'sessionId and title are required' });
        const chat: Chat = {
          chatId: `chat-${++this.count}`,
          sessionId: body.sessionId,
          title: body.title,
          details: String(body.details ?? ''),
          historyText: String(body.historyText ?? ''),
          status: 'queued',
          events: [],
          received: [],
          seen: new Set(),
          notes: [],
          streams: new Set(),
        };
        this.chats.set(chat.chatId, chat);
        this.bySession.set(chat.sessionId, chat);
        this.emit(chat, { kind: 'queued', position: this.chats.size });
        return send(res, 201, { chatId: chat.chatId });
      }
      const chat = parts[0] === 'chats' ? this.chats.get(parts[1] ?? '') : undefined;
      if (req.method === 'POST' && parts.length === 3 && chat && parts[2] === 'messages') {
        if (chat.status === 'ended') return send(res, 409, { error: 'chat ended' });
        const body = await readJson(req);
        if (typeof body.messageId !== 'string' || typeof body.text !== 'string')
          return send(res, 400, { error: 'messageId and text are required' });
        if (!chat.seen.has(body.messageId)) {
          chat.seen.add(body.messageId);
          chat.received.push(body.text);
        }
        return send(res, 200, { ok: true });
      }
      if (req.method === 'POST' && parts.length === 3 && chat && parts[2] === 'end') {
        if (chat.status !== 'ended') this.finish(chat);
        return send(res, 200, { ok: true });
      }
      return send(res, 404, { error: 'not found' });
    } catch (e) {
      return send(res, 400, { error: e instanceof Error ? e.message : String(e) });
    }
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = /^\/chats\/([^/]+)\/stream$/.exec(url.pathname);
    const chat = match ? this.chats.get(match[1]) : undefined;
    const after = Number(url.searchParams.get('after') ?? 0);
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!chat) {
      refuse('404 Not Found');
      return;
    }
    if (!Number.isInteger(after) || after < 0) {
      refuse('400 Bad Request');
      return;
    }
    if (chat.status === 'ended' && chat.events.length <= after) {
      refuse('410 Gone');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.streamOpens.push({ sessionId: chat.sessionId, after });
      for (const e of chat.events) if (e.id > after) ws.send(JSON.stringify(e));
      if (chat.status === 'ended') {
        ws.close(1000, 'chat ended');
        return;
      }
      chat.streams.add(ws);
      ws.on('close', () => chat.streams.delete(ws));
    });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('a JSON object is expected');
  return parsed as Record<string, unknown>;
}
