/**
 * Fakes of the core's ports for broker tests: a manual Clock, a recording Desk that lets the test
 * emit desk events, a recording Surface, and a silent Logger.
 */
import { FileRefusedError } from '../../bots/core/file-refusal';
import { formatBytes } from '../../bots/core/file-vault';
import type {
  Address,
  Availability,
  Clock,
  Desk,
  DeskEvent,
  DeskEventSink,
  EndReason,
  FileRef,
  Logger,
  OpenChatRequest,
  OutboundContent,
  SentRef,
  Surface,
  SurfaceKind,
  TimerHandle,
  UserMessage,
} from '../../bots/core/ports';

// ------------------------------------------------------------------------------------ clock

export class FakeClock implements Clock {
  private timers: { at: number; fn: () => void; id: number; cancelled: boolean }[] = [];
  private seq = 0;
  constructor(public current = Date.UTC(2025, 0, 15, 17, 0, 0)) {}

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const t = { at: this.current + Math.max(0, ms), fn, id: ++this.seq, cancelled: false };
    this.timers.push(t);
    return {
      cancel: () => {
        t.cancelled = true;
      },
    };
  }

  /** Move time forward and fire every timer that falls due, in due order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const due = this.timers.filter((t) => !t.cancelled && t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.current = Math.max(this.current, due.at);
      due.cancelled = true;
      due.fn();
    }
    this.current = target;
    this.timers = this.timers.filter((t) => !t.cancelled);
  }

  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}

// ------------------------------------------------------------------------------------ deferred

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

// ------------------------------------------------------------------------------------ desk

export class FakeDesk implements Desk {
  readonly name = 'fake';
  sink?: DeskEventSink;
  started = 0;
  stopped = 0;
  readonly opens: OpenChatRequest[] = [];
  readonly sent: { sessionId: string; message: UserMessage }[] = [];
  readonly typings: string[] = [];
  readonly ended: { sessionId: string; reason: EndReason }[] = [];
  availabilityCalls = 0;

  /** What checkAvailability answers; a function may throw or be slow. */
  availability: Availability | (() => Promise<Availability>) = { available: true };
  /** Hooks run inside the call; throw or return a slow promise to simulate failures. */
  onOpen?: (req: OpenChatRequest) => Promise<void> | void;
  onSend?: (sessionId: string, message: UserMessage) => Promise<void> | void;
  onEnd?: (sessionId: string, reason: EndReason) => Promise<void> | void;

  async start(sink: DeskEventSink): Promise<void> {
    this.started++;
    this.sink = sink;
  }
  async stop(): Promise<void> {
    this.stopped++;
  }
  async checkAvailability(): Promise<Availability> {
    this.availabilityCalls++;
    return typeof this.availability === 'function' ? this.availability() : this.availability;
  }
  async openChat(request: OpenChatRequest): Promise<void> {
    this.opens.push(request);
    await this.onOpen?.(request);
  }
  async sendMessage(sessionId: string, message: UserMessage): Promise<void> {
    await this.onSend?.(sessionId, message);
    this.sent.push({ sessionId, message });
  }
  async sendTyping(sessionId: string): Promise<void> {
    this.typings.push(sessionId);
  }
  async endChat(sessionId: string, reason: EndReason): Promise<void> {
    this.ended.push({ sessionId, reason });
    await this.onEnd?.(sessionId, reason);
  }

  /** Report an event the way a real desk would. */
  emit(event: DeskEvent): Promise<void> {
    if (!this.sink) throw new Error('desk not started');
    return this.sink(event);
  }

  get lastSessionId(): string {
    const last = this.opens[this.opens.length - 1];
    if (!last) throw new Error('no chat opened');
    return last.sessionId;
  }
}

// ------------------------------------------------------------------------------------ surface

export interface SentRecord {
  address: Address;
  content: OutboundContent;
  ref: SentRef;
}

export class FakeSurface implements Surface {
  readonly sends: SentRecord[] = [];
  readonly failedSends: { address: Address; content: OutboundContent }[] = [];
  readonly updates: { address: Address; ref: SentRef; content: OutboundContent }[] = [];
  readonly typings: Address[] = [];
  private seq = 0;
  /** Return true to make a send throw (e.g. to fail agent messages). */
  failSend?: (content: OutboundContent) => boolean;
  onSend?: (content: OutboundContent) => Promise<void> | void;

  /** Files the platform holds, by URL, for `download`. */
  readonly platformFiles = new Map<string, Uint8Array>();

  constructor(readonly kind: SurfaceKind = 'teams') {}

  async download(_address: Address, file: FileRef, maxBytes: number): Promise<Uint8Array> {
    const bytes = file.url ? this.platformFiles.get(file.url) : undefined;
    if (!bytes) throw new Error(`no such file on the platform: ${file.url}`);
    if (bytes.byteLength > maxBytes) throw new FileRefusedError('size', { max: formatBytes(maxBytes) });
    return bytes;
  }

  async send(address: Address, content: OutboundContent): Promise<SentRef> {
    await this.onSend?.(content);
    if (this.failSend?.(content)) {
      this.failedSends.push({ address, content });
      throw Object.assign(new Error('surface send failed'), { retryable: false, status: 403 });
    }
    const ref = { kind: this.kind, id: `msg-${++this.seq}` };
    this.sends.push({ address, content, ref });
    return ref;
  }
  async update(address: Address, ref: SentRef, content: OutboundContent): Promise<void> {
    this.updates.push({ address, ref, content });
  }
  async sendTyping(address: Address): Promise<void> {
    this.typings.push(address);
  }

  /** Plain texts the user saw, in order. */
  texts(): string[] {
    // Agent cards count too: a join notice with an avatar is a card, but the user reads its words.
    return this.sends.flatMap((s) =>
      s.content.kind === 'text' ? [s.content.text] : s.content.view.type === 'agentMessage' ? [s.content.view.text] : [],
    );
  }
  cards() {
    return this.sends.flatMap((s) => (s.content.kind === 'card' ? [{ view: s.content.view, ref: s.ref, address: s.address }] : []));
  }
  lastCard<T extends string>(type: T) {
    const c = this.cards().filter((c) => c.view.type === type);
    return c[c.length - 1] as { view: any; ref: SentRef; address: Address } | undefined;
  }
}

// ------------------------------------------------------------------------------------ logger

export class RecordingLogger implements Logger {
  readonly lines: { level: string; obj: object; msg?: string }[] = [];
  debug(obj: object, msg?: string) {
    this.lines.push({ level: 'debug', obj, msg });
  }
  info(obj: object, msg?: string) {
    this.lines.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg?: string) {
    this.lines.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg?: string) {
    this.lines.push({ level: 'error', obj, msg });
  }
}

export const tick = () => new Promise<void>((r) => setImmediate(r));

/** Rejects if `p` does not settle within `ms` real milliseconds (deadlock detector). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const guard = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`${what} did not settle within ${ms} ms (deadlock?)`)), ms);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}
