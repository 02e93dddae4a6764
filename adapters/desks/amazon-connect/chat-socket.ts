/**
 * One chat's WebSocket to Connect, as `ws` holds it: opened from the URL CreateParticipantConnection
 * returned, subscribed to `aws/chat` (resolving once Connect acknowledged), kept alive with
 * `aws/heartbeat` (two unanswered in a row count as a dead socket: it is cut, and the owner
 * reopens), and cut a minute before the URL's connection expires, so it is renewed in time
 * rather than found dead. Items arrive as `{"topic":"aws/chat","content":"<Item JSON>"}`.
 */
import WebSocket from 'ws';
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import type { Clock, TimerHandle } from '../../../bots/core/ports';
import type { ChatItem } from './items';

export interface ChatSocketHandlers {
  item(item: ChatItem): void;
  /** The socket ended without `close()` (network, Connect, heartbeat, expiry). */
  ended(reason: string): void;
  /** A frame that could not be read (logged by the caller). */
  unreadable(frame: string): void;
}

const RENEW_BEFORE_EXPIRY_MS = 60_000;

export class ChatSocket {
  private readonly ws: WebSocket;
  private closing = false;
  private unanswered = 0;
  private heartbeat?: TimerHandle;
  /** Resolves `open` once Connect acknowledged the subscription. */
  private subscribed?: () => void;
  private expiry?: TimerHandle;
  private readonly closed: Promise<void>;

  constructor(
    url: string,
    private readonly clock: Clock,
    private readonly heartbeatMs: number,
    private readonly handlers: ChatSocketHandlers,
  ) {
    this.ws = new WebSocket(url);
    this.closed = new Promise<void>((resolve) => this.ws.once('close', () => resolve()));
    // Listeners go on before the handshake ends: frames may come in the same chunk as it.
    this.ws.on('message', (data) => this.onFrame(String(data)));
    this.ws.once('close', (code) => {
      this.stopTimers();
      if (!this.closing) this.handlers.ended(`closed with ${code}`);
    });
    this.ws.on('error', () => undefined);
  }

  /** Resolves once open and subscribed; rejects (retryable) when Connect refuses or the network fails. */
  async open(expiresAt: number | undefined): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string, cause?: unknown) =>
        reject(new BridgeError(ErrorCode.DeskUnavailable, `Amazon Connect chat socket ${why}`, { cause, retryable: true }));
      this.subscribed = resolve;
      this.ws.once('open', () => this.ws.send(JSON.stringify({ topic: 'aws/subscribe', content: { topics: ['aws/chat'] } })));
      this.ws.once('unexpected-response', (_req, res) => {
        this.ws.terminate();
        fail(`refused with ${res.statusCode}`);
      });
      this.ws.once('error', (e) => fail('failed to open', e));
      this.ws.once('close', () => fail('closed while opening'));
    });
    this.beat();
    if (expiresAt !== undefined) {
      const renewIn = Math.max(0, expiresAt - this.clock.now() - RENEW_BEFORE_EXPIRY_MS);
      this.expiry = this.clock.setTimer(renewIn, () => this.cut());
    }
  }

  /** Close on purpose: `ended` is not called. Resolves once the socket is closed. */
  async close(): Promise<void> {
    this.closing = true;
    this.stopTimers();
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close(1000);
    // A peer that does not answer the close handshake is cut after a moment.
    const cut = setTimeout(() => this.ws.terminate(), 2000);
    await this.closed;
    clearTimeout(cut);
  }

  private cut(): void {
    this.ws.terminate();
  }

  private beat(): void {
    this.heartbeat = this.clock.setTimer(this.heartbeatMs, () => {
      if (this.closing) return;
      if (this.unanswered >= 2) return this.cut();
      this.unanswered += 1;
      if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ topic: 'aws/heartbeat' }));
      this.beat();
    });
  }

  private stopTimers(): void {
    this.heartbeat?.cancel();
    this.expiry?.cancel();
  }

  private onFrame(text: string): void {
    let frame: { topic?: string; content?: unknown };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      this.handlers.unreadable(text);
      return;
    }
    // Any frame shows the socket is alive.
    this.unanswered = 0;
    if (frame.topic === 'aws/subscribe') {
      this.subscribed?.();
      this.subscribed = undefined;
      return;
    }
    if (frame.topic !== 'aws/chat') return;
    try {
      const item = (typeof frame.content === 'string' ? JSON.parse(frame.content) : frame.content) as ChatItem;
      if (item && typeof item === 'object') this.handlers.item(item);
    } catch {
      this.handlers.unreadable(text);
    }
  }
}
