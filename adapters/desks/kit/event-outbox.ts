/**
 * How a desk hands its events to the broker's sink: through a per-chat queue of their own,
 * outside any lock the desk holds while it writes a chat, so a sink that calls back into the desk
 * (say, `endChat` when a send fails) cannot deadlock, while events still reach it in the order
 * they happened. A delivery never rejects: a pending one cannot go unhandled, and the desk
 * decides what a failed one means (log it, mark a message undelivered, report a receipt).
 */
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import { KeyedQueue } from '../../../bots/core/keyed-queue';
import type { DeskEvent, DeskEventSink, Logger } from '../../../bots/core/ports';

/** Whether a sink delivery worked. */
export type Delivery = { ok: true } | { ok: false; error: unknown };
export const DELIVERED: Promise<Delivery> = Promise.resolve({ ok: true });

export class EventOutbox {
  private readonly queue = new KeyedQueue();
  private sink?: DeskEventSink;

  /** `desk` names the desk in log lines and errors. */
  constructor(
    private readonly desk: string,
    private readonly logger: Logger,
  ) {}

  /** Where events go from now on (the desk's `start`). */
  start(sink: DeskEventSink): void {
    this.sink = sink;
  }

  /** Hand an event to the sink, in order per chat. Resolves with the outcome; never rejects. */
  deliver(event: DeskEvent): Promise<Delivery> {
    return this.queue.run(event.sessionId, async (): Promise<Delivery> => {
      const sink = this.sink;
      if (!sink) {
        this.logger.error({ sessionId: event.sessionId, type: event.type }, `${this.desk}: event before start(); dropped`);
        return { ok: false, error: new BridgeError(ErrorCode.DeskUnavailable, `${this.desk} desk not started`) };
      }
      try {
        await sink(event);
        return { ok: true };
      } catch (error) {
        this.logger.error({ err: error, sessionId: event.sessionId, type: event.type }, `${this.desk}: the sink failed`);
        return { ok: false, error };
      }
    });
  }

  /** Like `deliver`, but rejects with the failure: for callers that report it upwards. */
  async deliverOrThrow(event: DeskEvent): Promise<void> {
    const outcome = await this.deliver(event);
    if (!outcome.ok) throw outcome.error;
  }

  /** Resolves when every delivery queued so far has finished. */
  drain(): Promise<void> {
    return this.queue.drain();
  }
}
