/**
 * Server-Sent Events: the framing over a Node response, and the fan-out to each user's open
 * streams (a user may have several tabs open). Streams are per process; once `share`d, what is
 * pushed in one process also reaches the user's streams in every other (one Store channel for
 * all users: each process keeps what is for its own). Everything they carry is also in the
 * message log, and the page reloads the log whenever its stream (re)connects.
 */
import { LiveChannel } from '../core/live-channel';
import type { Clock, Logger, Store, TimerHandle } from '../core/ports';
import { HEARTBEAT_MS, openEventStream as openStream, type EventStream as Stream } from '../http/event-stream';
import type { WebEventName } from './wire';

export type EventStream = Stream<WebEventName>;
export { HEARTBEAT_MS };
export const openEventStream = openStream<WebEventName>;

/** Where pushes go to the other processes (namespaced by the store). */
export const WEB_EVENTS_CHANNEL = 'web:events';

interface SharedPush {
  u: string;
  e: WebEventName;
  d: unknown;
}

/** Open streams by user id. */
export class UserStreams {
  private readonly byUser = new Map<string, Set<EventStream>>();
  private heartbeat?: TimerHandle;
  private live?: LiveChannel<SharedPush>;

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly heartbeatMs = HEARTBEAT_MS,
  ) {}

  /** Register a stream; the returned function unregisters it (safe to call twice). */
  connect(userId: string, stream: EventStream): () => void {
    let streams = this.byUser.get(userId);
    if (!streams) {
      streams = new Set();
      this.byUser.set(userId, streams);
    }
    streams.add(stream);
    this.armHeartbeat();
    return () => {
      const set = this.byUser.get(userId);
      if (!set?.delete(stream)) return;
      if (set.size === 0) this.byUser.delete(userId);
      if (this.byUser.size === 0) this.disarmHeartbeat();
    };
  }

  /** Push to the user's streams here and, once shared, in every other process. */
  publish(userId: string, event: WebEventName, data: unknown): void {
    this.deliver(userId, event, data);
    this.live?.publish({ u: userId, e: event, d: data });
  }

  /** Exchange pushes with every process on `store`; resolves once subscribed. */
  async share(store: Store): Promise<void> {
    this.live ??= new LiveChannel<SharedPush>({ store, logger: this.logger, channel: WEB_EVENTS_CHANNEL }, (m) =>
      this.deliver(m.u, m.e, m.d),
    );
    await this.live.start();
  }

  /** Stop exchanging pushes (shutdown). */
  async unshare(): Promise<void> {
    await this.live?.stop();
  }

  /** Streams open in this process (metrics, tests). */
  get size(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  private deliver(userId: string, event: WebEventName, data: unknown): void {
    for (const stream of this.byUser.get(userId) ?? []) this.safely(userId, () => stream.send(event, data));
  }

  closeAll(): void {
    this.disarmHeartbeat();
    const all = [...this.byUser.entries()];
    this.byUser.clear();
    for (const [userId, streams] of all) for (const s of streams) this.safely(userId, () => s.close());
  }

  private armHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = this.clock.setTimer(this.heartbeatMs, () => {
      this.heartbeat = undefined;
      for (const [userId, streams] of this.byUser) for (const s of streams) this.safely(userId, () => s.comment('heartbeat'));
      if (this.byUser.size > 0) this.armHeartbeat();
    });
  }

  private disarmHeartbeat(): void {
    this.heartbeat?.cancel();
    this.heartbeat = undefined;
  }

  /** One broken stream must not keep the user's other tabs from getting the event. */
  private safely(userId: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.logger.warn({ err: e, surface: 'web', userId }, 'web: writing to an event stream failed');
    }
  }
}
