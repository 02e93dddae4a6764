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
export type ConsoleEventName =
  | 'ready'
  | 'chat.created'
  | 'chat.updated'
  | 'message.created'
  | 'message.updated'
  | 'typing';


interface Connection {
  agentId: string;
  stream: EventStream;
}

export class AgentEventHub {
  private readonly connections = new Set<Connection>();
  private heartbeat?: TimerHandle;

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly heartbeatMs = HEARTBEAT_MS,
  ) {}

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

  /** Every agent sees every chat: the queue is shared, and anyone may join a live chat. */
  broadcast(event: ConsoleEventName, data: unknown): void {
    for (const c of this.connections) this.safely(c, () => c.stream.send(event, data));
  }

  /** Distinct agents with at least one open stream. */
  onlineAgents(): number {
    return new Set([...this.connections].map((c) => c.agentId)).size;
  }

  closeAll(): void {
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
