/**
 * One chat's stream connection, held by this process under the chat's lease (`ChatStreamOwner`
 * decides which chats it holds). It opens the stream from the persisted cursor, hands each event
 * to the broker's sink one at a time in order and only while the lease is held, persists the
 * cursor after it fenced by the lease, and reopens a dropped connection (with a backoff) from the
 * last cursor. A stale holder (closed, replaced by a reopen, or the lease lost) neither delivers
 * nor moves the cursor.
 */
import { type ChatStream, type ChatStreamEvents, type StreamDesk, type StreamTimings, streamKeys } from './chat-streams';
import { asBridgeError, ErrorCode, isBridgeError } from './errors';
import type { LeaseKeeper } from './lease-keeper';
import type { Clock, DeskEvent, DeskEventSink, Logger, Store, TimerHandle } from './ports';

/** What a held stream needs from its owner. */
export interface StreamHost {
  desk: StreamDesk;
  store: Store;
  clock: Clock;
  logger: Logger;
  timings: StreamTimings;
  /** The broker's sink, once the owner was started. */
  sink(): DeskEventSink | undefined;
  /** Opening the stream found the chat unknown to the vendor: the chat is over. */
  unknownToDesk(sessionId: string): Promise<void>;
  /** The chat's `ended` event was handed to the sink (called from inside the event chain). */
  ended(sessionId: string): Promise<void>;
}

export class HeldStream {
  cursor?: string;
  private stream?: ChatStream;
  /** Counts opens, so calls from a connection replaced since are ignored. */
  private generation = 0;
  /** Events are handled one at a time, in the order the desk reported them. */
  private chain: Promise<void> = Promise.resolve();
  private reopenTimer?: TimerHandle;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly host: StreamHost,
    readonly sessionId: string,
    readonly keeper: LeaseKeeper,
  ) {}

  async connect(): Promise<void> {
    if (this.closed || this.keeper.lost) return;
    const generation = ++this.generation;
    const events: ChatStreamEvents = {
      event: (event, cursor) => this.onEvent(generation, event, cursor),
      dropped: (reason) => this.onDropped(generation, reason),
    };
    let stream: ChatStream;
    try {
      stream = await this.host.desk.openStream(this.sessionId, this.cursor, events);
    } catch (e) {
      if (isBridgeError(e, ErrorCode.UnknownSession)) {
        this.host.logger.warn({ sessionId: this.sessionId }, 'the desk no longer knows this chat; ending it');
        await this.host.unknownToDesk(this.sessionId);
        return;
      }
      this.host.logger.warn({ err: asBridgeError(e), sessionId: this.sessionId }, 'could not open the chat stream; retrying');
      this.scheduleReopen(generation);
      return;
    }
    if (this.closed || generation !== this.generation || this.keeper.lost) {
      await stream.close();
      return;
    }
    this.stream = stream;
    this.failures = 0;
  }

  /**
   * Close the connection here. With `release`, also let the event in hand finish (it persists its
   * cursor under the lease; not awaited from inside that event, `inChain`) and give the lease up;
   * without, the lease is lost already.
   */
  async close(opts: { release: boolean; deleteCursor?: boolean; inChain?: boolean }): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reopenTimer?.cancel();
    const stream = this.stream;
    this.stream = undefined;
    if (stream)
      await stream
        .close()
        .catch((e) => this.host.logger.warn({ err: asBridgeError(e), sessionId: this.sessionId }, 'could not close a chat stream'));
    if (!opts.release) return;
    if (!opts.inChain) await this.chain;
    if (opts.deleteCursor) await this.host.store.delete(streamKeys.cursor(this.host.desk.name, this.sessionId)).catch(() => undefined);
    await this.keeper.release();
  }

  private onEvent(generation: number, event: DeskEvent, cursor?: string): Promise<boolean> {
    const handled = this.chain.then(() => this.deliver(generation, event, cursor));
    this.chain = handled.then(() => undefined);
    return handled;
  }

  /** Never rejects: a failure is logged and answered `false` (see `ChatStreamEvents.event`). */
  private async deliver(generation: number, event: DeskEvent, cursor?: string): Promise<boolean> {
    const sink = this.host.sink();
    // A stale owner must not deliver: closed, replaced, or the lease gone (`lost` also notices a
    // renewal that did not come in time, e.g. after a long pause).
    if (this.closed || generation !== this.generation || this.keeper.lost || !sink) return false;
    if (event.sessionId !== this.sessionId) {
      this.host.logger.warn({ sessionId: this.sessionId, reported: event.sessionId }, 'stream event for another chat dropped');
      return false;
    }
    let delivered = true;
    await sink(event).catch((e) => {
      delivered = false;
      this.host.logger.warn(
        { err: asBridgeError(e), sessionId: this.sessionId, type: event.type },
        'stream event not delivered to the user',
      );
    });
    if (cursor !== undefined) {
      this.cursor = cursor;
      try {
        const key = streamKeys.cursor(this.host.desk.name, this.sessionId);
        if (!(await this.host.store.setIfLeaseHeld(this.keeper.lease, key, cursor, this.host.timings.chatTtlMs))) this.keeper.markLost();
      } catch (e) {
        // The next event's cursor is written again; a takeover meanwhile replays a little more.
        this.host.logger.warn({ err: asBridgeError(e), sessionId: this.sessionId }, 'could not persist the stream cursor');
      }
    }
    if (event.type === 'ended') await this.host.ended(this.sessionId);
    return delivered;
  }

  private onDropped(generation: number, reason?: unknown): void {
    if (this.closed || generation !== this.generation) return;
    this.stream = undefined;
    this.host.logger.info(
      { sessionId: this.sessionId, reason: reason === undefined ? undefined : String(reason) },
      'chat stream dropped; reopening',
    );
    this.scheduleReopen(generation);
  }

  /** Reopen after the events in hand are handled (so the cursor is the last one), with a backoff. */
  private scheduleReopen(generation: number): void {
    const { maxReopenDelayMs, reopenDelayMs } = this.host.timings;
    const delay = Math.min(maxReopenDelayMs, reopenDelayMs * 2 ** this.failures);
    this.failures += 1;
    void this.chain.then(() => {
      if (this.closed || generation !== this.generation) return;
      this.reopenTimer = this.host.clock.setTimer(delay, () => {
        this.reopenTimer = undefined;
        void this.connect();
      });
    });
  }
}
