/**
 * How the console desk hands events to the broker's sink. Events go through a per-chat queue of
 * their own, outside the chat's write lock, so a sink that calls back into the desk (say,
 * `endChat` when a send fails) cannot deadlock, while events still reach it in the order they
 * happened.
 */
import type { DeskEvent, DeskEventSink, Logger } from '../../../bots/core/ports';
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import { KeyedQueue } from '../../../bots/core/keyed-queue';

/** Whether a sink delivery worked; never rejects, so a pending delivery cannot go unhandled. */
export type Delivery = { ok: true } | { ok: false; error: unknown };
export const DELIVERED: Promise<Delivery> = Promise.resolve({ ok: true });

export class DeskOutbox {
  private readonly queue = new KeyedQueue();
  private sink?: DeskEventSink;

  constructor(private readonly logger: Logger) {}

  /** Where events go from now on (the desk's `start`). */
  start(sink: DeskEventSink): void {
    this.sink = sink;
  }

  /** Hand an event to the sink, in order per chat. Resolves with the outcome; never rejects. */
  deliver(event: DeskEvent): Promise<Delivery> {
    return this.queue.run(event.sessionId, async (): Promise<Delivery> => {
      const sink = this.sink;
      if (!sink) {
        this.logger.error({ sessionId: event.sessionId, type: event.type }, 'console: event before start(); dropped');
        return { ok: false, error: new BridgeError(ErrorCode.DeskUnavailable, 'console desk not started') };
      }
      try {
        await sink(event);
        return { ok: true };
      } catch (error) {
        this.logger.error({ err: error, sessionId: event.sessionId, type: event.type }, 'console: the sink failed');
        return { ok: false, error };
      }
    });
  }
}
