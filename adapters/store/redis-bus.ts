/**
 * Pub/sub on Redis. Subscribing needs a connection of its own (a subscribed connection runs no
 * other command), opened on the first `subscribe` and kept: node-redis subscribes it again to
 * every channel after a reconnect. `publish` goes through the store's ordinary connection.
 * Channels carry the store's key prefix, because Redis channels are shared by every database
 * and namespace on the server.
 */
import { deliver, messageJson, type HandlerErrorReport, type MessageHandler } from './bus';
import type { RedisClient, RedisConnection } from './redis';

export class RedisBus {
  private subscriber?: Promise<RedisClient>;
  private closed = false;

  constructor(
    private readonly redis: RedisConnection,
    /** The store's deadline for one call. */
    private readonly bounded: <T>(call: Promise<T>) => Promise<T>,
    private readonly onError: HandlerErrorReport,
  ) {}

  async publish(channel: string, message: unknown): Promise<void> {
    const json = messageJson(channel, message);
    await this.bounded(this.redis.client.publish(this.redis.keyPrefix + channel, json));
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    const client = await this.connection();
    const fullChannel = this.redis.keyPrefix + channel;
    let active = true;
    // One listener per subscription: node-redis sends SUBSCRIBE for a channel's first and
    // UNSUBSCRIBE after its last.
    const listener = (json: string) => {
      if (active) deliver(channel, json, handler, this.onError);
    };
    await this.bounded(client.subscribe(fullChannel, listener));
    return async () => {
      if (!active) return;
      active = false; // no more deliveries from now on, whatever Redis answers
      if (!client.isOpen) return;
      // A failed UNSUBSCRIBE (Redis away) is harmless: node-redis has dropped the listener and
      // does not subscribe the channel again when it reconnects.
      await this.bounded(client.unsubscribe(fullChannel, listener)).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const subscriber = await this.subscriber?.catch(() => undefined);
    if (subscriber?.isOpen) subscriber.destroy();
  }

  /** The subscriber connection, opened once; a failed open is tried again on the next call. */
  private connection(): Promise<RedisClient> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    if (!this.subscriber) {
      const opening = this.redis.openSubscriber();
      this.subscriber = opening;
      opening.catch(() => {
        if (this.subscriber === opening) this.subscriber = undefined;
      });
    }
    return this.subscriber;
  }
}
