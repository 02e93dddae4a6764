/**
 * Pub/sub delivery shared by both engines, and the in-process bus of the memory engine.
 * A message travels as JSON, so every handler gets a fresh copy and a value JSON cannot hold
 * fails in `publish` the same way on both engines. A handler that throws or rejects is reported
 * to `onHandlerError` and the others still get the message.
 */

export type MessageHandler = (message: unknown) => void | Promise<void>;
export type HandlerErrorReport = (channel: string, error: unknown) => void;

/** The JSON of a message, or a `TypeError` when it has none. */
export function messageJson(channel: string, message: unknown): string {
  const json = JSON.stringify(message);
  if (typeof json !== 'string') throw new TypeError(`Store.publish(${JSON.stringify(channel)}): the message has no JSON form`);
  return json;
}

/** Call `handler` with a copy of the message; its failure (sync or async) is reported, never thrown. */
export function deliver(channel: string, json: string, handler: MessageHandler, onError: HandlerErrorReport): void {
  try {
    const result = handler(JSON.parse(json));
    if (result && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(undefined, (e: unknown) => onError(channel, e));
    }
  } catch (e) {
    onError(channel, e);
  }
}

/** Pub/sub within one process, with the semantics of Redis pub/sub (see the `Store` port). */
export class InProcessBus {
  private readonly channels = new Map<string, Set<MessageHandler>>();

  constructor(private readonly onError: HandlerErrorReport) {}

  publish(channel: string, message: unknown): void {
    const json = messageJson(channel, message);
    const handlers = this.channels.get(channel);
    if (!handlers || handlers.size === 0) return;
    // Later, never inside `publish`, as from Redis; those subscribed now get it, in order
    // (`setImmediate` runs its callbacks first in, first out).
    const receivers = [...handlers];
    setImmediate(() => {
      for (const handler of receivers) {
        if (this.channels.get(channel)?.has(handler)) deliver(channel, json, handler, this.onError);
      }
    });
  }

  subscribe(channel: string, handler: MessageHandler): () => void {
    // A wrapper of its own, so the same function subscribed twice is two subscriptions.
    const subscription: MessageHandler = (message) => handler(message);
    const handlers = this.channels.get(channel) ?? new Set<MessageHandler>();
    handlers.add(subscription);
    this.channels.set(channel, handlers);
    return () => {
      handlers.delete(subscription);
      if (handlers.size === 0 && this.channels.get(channel) === handlers) this.channels.delete(channel);
    };
  }

  clear(): void {
    this.channels.clear();
  }
}
