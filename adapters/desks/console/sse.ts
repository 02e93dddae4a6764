/**
 * Fan-out of console events to agents' open event streams, and the presence count that comes
 * with it: an agent is online while at least one of their streams is open.
 *
 * Knows nothing about HTTP: `EventStream` is implemented over a response in bots/http/event-stream.ts,
 * so the desk stays testable and free of express.
 */
import type { Clock, Logger, TimerHandle } from '../../../bots/core/ports';

export type { EventStream } from '../../../bots/http/event-stream';
import { HEARTBEAT_MS, type EventStream } from '../../../bots/http/event-stream';
export { HEARTBEAT_MS };

/** Events the console sends; the page and test clients depend on these names. */
export type ConsoleEventName = 'ready' | 'chat.created' | 'chat.updated' | 'message.created' | 'message.updated' | 'typing';

interface Connection {
  agentId: string;
  stream: EventStream;
}

/** An event waiting for the end of the turn, with the streams open when it happened. */
interface Pending {
  event: ConsoleEventName;
  data: unknown;
  to: Connection[];
}

export interface AgentEventHubOptions {
  heartbeatMs?: number;
  /**
   * Write events at the end of the event-loop turn (`setImmediate`) instead of at once, so all
   * events of one turn leave in one socket write per stream: under load, one write per event
   * was about 5% of the bridge's CPU (bench/README.md). Order per stream is kept; it adds at
   * most the rest of the turn to an event's way out. Off by default, so callers that read a
   * stream right after a desk call (tests) see its events at once.
   */
  coalesce?: boolean;
}

export class AgentEventHub {
  private readonly connections = new Set<Connection>();
  private heartbeat?: TimerHandle;
  private readonly heartbeatMs: number;
  private readonly coalesce: boolean;
  private pending: Pending[] = [];
  private flushing?: NodeJS.Immediate;

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    options: AgentEventHubOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
    this.coalesce = options.coalesce ?? false;
  }

  /** Register a stream; the returned function unregisters it (safe to call twice). */
  connect(agentId: string, stream: EventStream): () => void {
    const connection: Connection = { agentId, stream };
    this.connections.add(connection);
    this.armHeartbeat();
    return () => {
      if (!this.connections.delete(connection)) return;
      if (this.connections.size === 0) this.disarmHeartbeat();
    };
  }

  /**
   * Every agent sees every chat: the queue is shared, and anyone may join a live chat.
   * With `coalesce`, `data` is serialized when the turn ends: it must not change after this call.
   */
  broadcast(event: ConsoleEventName, data: unknown): void {
    if (!this.coalesce) {
      for (const c of this.connections) this.safely(c, () => c.stream.send(event, data));
      return;
    }
    if (this.connections.size === 0) return;
    this.pending.push({ event, data, to: [...this.connections] });
    this.flushing ??= setImmediate(() => this.flush());
  }

  /** Write every pending event (streams closed meanwhile are skipped). */
  flush(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
    const batch = this.pending;
    this.pending = [];
    for (const { event, data, to } of batch) {
      for (const c of to) if (this.connections.has(c)) this.safely(c, () => c.stream.send(event, data));
    }
  }

  /** Distinct agents with at least one open stream. */
  onlineAgents(): number {
    return this.agentIds().length;
  }

  /** Their ids. */
  agentIds(): string[] {
    return [...new Set([...this.connections].map((c) => c.agentId))];
  }

  closeAll(): void {
    this.flush();
    this.disarmHeartbeat();
    for (const c of [...this.connections]) {
      this.connections.delete(c);
      this.safely(c, () => c.stream.close());
    }
  }

  private armHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = this.clock.setTimer(this.heartbeatMs, () => {
      this.heartbeat = undefined;
      for (const c of this.connections) this.safely(c, () => c.stream.comment('heartbeat'));
      if (this.connections.size > 0) this.armHeartbeat();
    });
  }

  private disarmHeartbeat(): void {
    this.heartbeat?.cancel();
    this.heartbeat = undefined;
  }

  /** One broken stream must not stop the others from getting the event. */
  private safely(c: Connection, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.logger.warn({ err: e, agentId: c.agentId }, 'console: writing to an event stream failed');
    }
  }
}
