/**
 * The stream test desk: a `StreamDesk` (bots/core/chat-streams.ts) against `StreamTestServer`,
 * shaped like the Amazon Connect and Salesforce connectors will be: chats are opened, written to
 * and ended over REST; each chat's events come over a WebSocket of its own, opened from the
 * cursor (the last event id) the core's `ChatStreamOwner` persisted. The vendor's chat id is
 * kept in the Store, since any process may be the one that opens the chat's stream.
 *
 * `crash()` plays SIGKILL for tests: sockets are cut and nothing more is reported, with no
 * close handshake and no callback.
 */
import WebSocket from 'ws';
import type { ChatStream, ChatStreamEvents, StreamDesk } from '../../../bots/core/chat-streams';
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import type { Availability, DeskEvent, DeskEventSink, EndReason, OpenChatRequest, Store, UserMessage } from '../../../bots/core/ports';
import type { WireAgent, WireEvent } from './server';

const CHAT_TTL_MS = 48 * 60 * 60 * 1000;
const chatKey = (sessionId: string) => `streamtest:chat:${sessionId}`;

export interface StreamTestDeskOptions {
  /** The server's base URL (`http://127.0.0.1:<port>`). */
  url: string;
  store: Store;
}

export class StreamTestDesk implements StreamDesk {
  readonly name = 'stream-test';
  private readonly sockets = new Set<WebSocket>();
  private dead = false;

  constructor(private readonly options: StreamTestDeskOptions) {}

  async start(_sink: DeskEventSink): Promise<void> {
    // Every event of this desk comes over a chat's stream (to the owner), none otherwise.
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
  }

  /** Tests: die like a killed process (see the file header). */
  crash(): void {
    this.dead = true;
    for (const ws of this.sockets) ws.terminate();
  }

  async checkAvailability(): Promise<Availability> {
    const { agentsOnline } = (await this.call('GET', '/availability')) as { agentsOnline: number };
    return { available: agentsOnline > 0, agentsOnline };
  }

  async openChat(request: OpenChatRequest): Promise<void> {
    const { chatId } = (await this.call('POST', '/chats', {
      sessionId: request.sessionId,
      title: request.title,
      details: request.details,
      historyText: request.historyText ?? '',
    })) as { chatId: string };
    await this.options.store.set(chatKey(request.sessionId), chatId, CHAT_TTL_MS);
  }

  async sendMessage(sessionId: string, message: UserMessage): Promise<void> {
    const chatId = await this.chatId(sessionId);
    if (!chatId) throw new BridgeError(ErrorCode.UnknownSession, `no chat for session ${sessionId}`);
    await this.call('POST', `/chats/${chatId}/messages`, { messageId: message.messageId, text: message.text });
  }

  async endChat(sessionId: string, _reason: EndReason): Promise<void> {
    const chatId = await this.chatId(sessionId);
    if (chatId) await this.call('POST', `/chats/${chatId}/end`, {});
  }

  async openStream(sessionId: string, cursor: string | undefined, events: ChatStreamEvents): Promise<ChatStream> {
    const chatId = await this.chatId(sessionId);
    if (!chatId || this.dead) throw new BridgeError(ErrorCode.UnknownSession, `no chat for session ${sessionId}`);
    const url = `${this.options.url.replace(/^http/, 'ws')}/chats/${chatId}/stream?after=${encodeURIComponent(cursor ?? '0')}`;
    const ws = new WebSocket(url);
    this.sockets.add(ws);
    let opened = false;
    let closing = false;
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    // Listeners go on before the handshake ends: the replay may arrive in the same chunk as it.
    ws.on('message', (data) => {
      if (this.dead || closing) return;
      const wire = JSON.parse(String(data)) as WireEvent;
      // In arrival order; the owner handles them one at a time and answers each.
      void events.event(toDeskEvent(sessionId, wire), String(wire.id));
    });
    ws.once('close', (code) => {
      this.sockets.delete(ws);
      if (opened && !this.dead && !closing) events.dropped(`closed with ${code}`);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => {
        opened = true;
        resolve();
      });
      ws.once('unexpected-response', (_req, res) => {
        ws.terminate();
        const gone = res.statusCode === 404 || res.statusCode === 410;
        reject(
          new BridgeError(gone ? ErrorCode.UnknownSession : ErrorCode.DeskUnavailable, `stream refused with ${res.statusCode}`, {
            status: res.statusCode,
          }),
        );
      });
      ws.on('error', (e) => reject(new BridgeError(ErrorCode.DeskUnavailable, 'stream failed to open', { cause: e, retryable: true })));
      ws.once('close', () => reject(new BridgeError(ErrorCode.DeskUnavailable, 'stream closed while opening', { retryable: true })));
    });
    return {
      close: async () => {
        closing = true;
        if (ws.readyState !== WebSocket.CLOSED) ws.close(1000);
        // A peer that does not answer the close handshake is cut after a moment.
        const cut = setTimeout(() => ws.terminate(), 2000);
        await closed;
        clearTimeout(cut);
      },
    };
  }

  private async chatId(sessionId: string): Promise<string | undefined> {
    return this.options.store.get<string>(chatKey(sessionId));
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    if (this.dead) throw new BridgeError(ErrorCode.DeskUnavailable, 'desk crashed');
    let res: Response;
    try {
      res = await fetch(`${this.options.url}${path}`, {
        method,
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new BridgeError(ErrorCode.DeskUnavailable, 'the stream test server is unreachable', { cause: e, retryable: true });
    }
    const answer: unknown = await res.json().catch(() => undefined);
    if (res.status === 404) throw new BridgeError(ErrorCode.UnknownSession, `${path}: unknown chat`, { status: 404 });
    if (!res.ok) throw new BridgeError(ErrorCode.DeskRejected, `${path} answered ${res.status}`, { status: res.status, details: answer });
    return answer;
  }
}

function toDeskEvent(sessionId: string, wire: WireEvent): DeskEvent {
  const agent = (a: WireAgent) => ({ id: a.id, name: a.name });
  switch (wire.kind) {
    case 'queued':
      return { type: 'queued', sessionId, position: wire.position };
    case 'joined':
      return { type: 'agentJoined', sessionId, agent: agent(wire.agent) };
    case 'left':
      return { type: 'agentLeft', sessionId, agent: agent(wire.agent) };
    case 'message':
      return { type: 'agentMessage', sessionId, agent: agent(wire.agent), messageId: wire.messageId, text: wire.text };
    case 'ended':
      return { type: 'ended', sessionId, reason: 'agent_ended' };
  }
}
