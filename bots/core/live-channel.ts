/**
 * A live view's events shared by every process on one Store (`Store.publish`/`subscribe`).
 * Events are delivered to this process's own readers at once by the caller, as before, and
 * published tagged with this process's id; every process subscribed hands the events of the
 * *other* processes to `onRemote`, so no reader gets an event twice and one process alone (the
 * memory store) behaves exactly as without the channel.
 *
 * At most once, like the Store's pub/sub: a process that is not subscribed when an event is
 * published misses it. The truth stays in the store; the pages reload it on every (re)connect.
 */
import { randomUUID } from 'node:crypto';
import type { Logger, Store } from './ports';

interface Envelope<T> {
  /** The publishing process (this channel object). */
  o: string;
  m: T;
}

export interface LiveChannelDeps {
  store: Store;
  logger: Logger;
  /** The channel, namespaced by the store like keys. */
  channel: string;
}

export class LiveChannel<T> {
  /** Which process published an event: random per channel object, so two in one process differ. */
  readonly origin = randomUUID();
  private unsubscribe?: () => Promise<void>;
  private starting?: Promise<void>;
  /** Whether the last publish failed: one warning per outage, not one per event. */
  private failing = false;

  constructor(
    private readonly deps: LiveChannelDeps,
    private readonly onRemote: (message: T) => void,
  ) {}

  /** Subscribe (idempotent). Until this resolves nothing is published either. */
  start(): Promise<void> {
    this.starting ??= (async () => {
      this.unsubscribe = await this.deps.store.subscribe<Envelope<T>>(this.deps.channel, (envelope) => {
        if (envelope && envelope.o !== this.origin) this.onRemote(envelope.m);
      });
    })().catch((e: unknown) => {
      this.starting = undefined;
      throw e;
    });
    return this.starting;
  }

  /**
   * Tell the other processes; never throws and is not awaited (a live event must not fail or
   * slow the write it reports). Published in call order on one connection, so received in order.
   */
  publish(message: T): void {
    if (!this.unsubscribe) return;
    this.deps.store.publish<Envelope<T>>(this.deps.channel, { o: this.origin, m: message }).then(
      () => {
        this.failing = false;
      },
      (e: unknown) => {
        if (this.failing) return;
        this.failing = true;
        this.deps.logger.warn({ err: e, channel: this.deps.channel }, 'live events: could not publish to the other processes');
      },
    );
  }

  async stop(): Promise<void> {
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    this.starting = undefined;
    await unsubscribe?.().catch(() => undefined);
  }
}
