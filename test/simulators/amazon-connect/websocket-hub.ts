/**
 * The chat WebSocket. A client opens the URL CreateParticipantConnection returned (once, within
 * its window), sends `{"topic":"aws/subscribe","content":{"topics":["aws/chat"]}}`, and from then
 * on receives every item of its chat as `{"topic":"aws/chat","contentType":"application/json",
 * "content":"<the Item as a JSON string>"}`. `aws/heartbeat` is echoed; `aws/ping` (the "deep"
 * heartbeat) answers statusCode 200. Items sent while a client is not subscribed are not
 * replayed: catching up is GetTranscript's job, as with Connect.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { ChatItem } from './items';
import type { SimState } from './state';

export const WEBSOCKET_PATH = '/websocket';
const RECEIVED_KEPT = 50;

/** Clients send `content` as an object; tolerate a JSON string too. */
function readContent(content: unknown): { topics?: unknown } | undefined {
  if (typeof content !== 'string') return content as { topics?: unknown } | undefined;
  try {
    return JSON.parse(content) as { topics?: unknown };
  } catch {
    return undefined;
  }
}

interface ChatSocket {
  socket: WebSocket;
  contactId: string;
  participantId: string;
  subscribed: boolean;
  /** The last frames the client sent, for tests (`aws/heartbeat` counts and the like). */
  received: string[];
}

export class WebSocketHub {
  private readonly wss = new WebSocketServer({ noServer: true });
  /** By chat, so a publish touches only that chat's sockets (the benchmark holds a thousand). */
  private readonly sockets = new Map<string, Set<ChatSocket>>();

  constructor(
    private readonly state: SimState,
    private readonly log: (line: string) => void,
  ) {}

  /** The HTTP server's `upgrade` handler. */
  upgrade(req: IncomingMessage, duplex: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const ticket = url.pathname === WEBSOCKET_PATH ? this.state.tickets.get(url.searchParams.get('ticket') ?? '') : undefined;
    // A URL works once and only within its window: a reconnect needs a new CreateParticipantConnection.
    if (!ticket || ticket.used || ticket.openBy < Date.now() || ticket.expiresAt < Date.now()) {
      duplex.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    ticket.used = true;
    this.wss.handleUpgrade(req, duplex, head, (socket) => {
      const chat: ChatSocket = {
        socket,
        contactId: ticket.contactId,
        participantId: ticket.participantId,
        subscribed: false,
        received: [],
      };
      const chats = this.sockets.get(chat.contactId) ?? new Set<ChatSocket>();
      chats.add(chat);
      this.sockets.set(chat.contactId, chats);
      socket.on('message', (data) => this.onFrame(chat, data.toString()));
      socket.on('close', () => this.forget(chat));
      socket.on('error', () => this.forget(chat));
    });
  }

  private forget(chat: ChatSocket): void {
    const chats = this.sockets.get(chat.contactId);
    chats?.delete(chat);
    if (chats?.size === 0) this.sockets.delete(chat.contactId);
  }

  private onFrame(chat: ChatSocket, text: string): void {
    chat.received.push(text);
    if (chat.received.length > RECEIVED_KEPT) chat.received.shift();
    let frame: { topic?: unknown; content?: unknown };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      this.log(`websocket: ignored a frame that is not JSON: ${text.slice(0, 80)}`);
      return;
    }
    switch (frame.topic) {
      case 'aws/subscribe': {
        const content = readContent(frame.content);
        const topics = Array.isArray(content?.topics) ? (content.topics as string[]) : [];
        if (topics.includes('aws/chat')) chat.subscribed = true;
        this.send(chat, { topic: 'aws/subscribe', content: { status: 'success', topics: topics.filter((t) => t === 'aws/chat') } });
        return;
      }
      case 'aws/heartbeat':
        this.send(chat, { topic: 'aws/heartbeat' });
        return;
      case 'aws/ping':
        this.send(chat, { topic: 'aws/ping', statusCode: 200, statusContent: 'OK' });
        return;
      default:
        this.log(`websocket: ignored topic ${String(frame.topic)}`);
    }
  }

  private send(chat: ChatSocket, frame: unknown): void {
    if (chat.socket.readyState === WebSocket.OPEN) chat.socket.send(JSON.stringify(frame));
  }

  /** Push an item to every subscribed socket of the chat (the sender's own included). */
  publish(contactId: string, item: ChatItem): void {
    const chats = this.sockets.get(contactId);
    if (!chats) return;
    const frame = JSON.stringify({ topic: 'aws/chat', contentType: 'application/json', content: JSON.stringify(item) });
    for (const chat of chats) {
      if (chat.subscribed && chat.socket.readyState === WebSocket.OPEN) chat.socket.send(frame);
    }
  }

  /** Sockets open on a chat, subscribed or not. */
  open(contactId: string): { subscribed: boolean; received: string[] }[] {
    return [...(this.sockets.get(contactId) ?? [])].map(({ subscribed, received }) => ({ subscribed, received }));
  }

  /**
   * Drop the chat's sockets. `abrupt` cuts the TCP connection (close code 1006 on the client, as
   * a network failure); otherwise a close frame 1001 ("going away"), as when Connect expires a
   * connection.
   */
  drop(contactId: string, abrupt = true): number {
    const chats = [...(this.sockets.get(contactId) ?? [])];
    this.sockets.delete(contactId);
    for (const chat of chats) {
      if (abrupt) chat.socket.terminate();
      else chat.socket.close(1001, 'Connection expired');
    }
    return chats.length;
  }

  close(): void {
    for (const chats of this.sockets.values()) for (const chat of chats) chat.socket.terminate();
    this.sockets.clear();
    this.wss.close();
  }
}
