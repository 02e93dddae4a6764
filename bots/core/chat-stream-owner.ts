/**
 * Owns the connections of a stream desk (`chat-streams.ts`) across processes. It wraps the desk
 * and is the `Desk` the broker talks to, so the broker needs no change: calls pass through, and
 * around them it does, per open chat:
 *
 * - `openChat`: the chat joins the desk's `StreamRegistry`, then this process tries to own its
 *   connection: it takes the lease `stream:<desk>:<sessionId>` (`LeaseKeeper`, renewed every
 *   third of its TTL), reads the persisted cursor and opens the stream with it.
 * - Each event the stream reports goes to the broker's sink, one at a time in order, and only
 *   while the lease is held; then its cursor is persisted fenced by the lease
 *   (`setIfLeaseHeld`), so a stale owner can neither deliver nor move the cursor.
 * - A lost lease (a renewal or a fenced write refused, or no renewal answered within the TTL)
 *   closes the connection at once. A dropped connection is reopened from the last cursor.
 * - The chat ends (our `endChat`, the desk's `ended` event, the vendor no longer knowing it):
 *   the connection closes, the lease is released, registry entry and cursor are removed.
 * - Every `scanIntervalMs`, each process reads the registry and takes every chat whose lease is
 *   free: that chat's owner died (or stopped), and it resumes from the persisted cursor. It also
 *   drops the chats it holds that left the registry (ended through another process).
 * - `stop()` (shutdown) closes the connections, lets the events in hand finish, and releases the
 *   leases, so another process takes the chats over at its next scan, not a TTL later.
 *
 * Delivery is at least once: a cursor is persisted after its event was delivered, so an owner
 * that dies between the two has the event replayed by its successor, and the broker's
 * de-duplication of desk messages by `messageId` drops the copy.
 */
import { randomUUID } from 'node:crypto';
import {
  DEFAULT_STREAM_TIMINGS,
  streamKeys,
  type ChatStream,
  type ChatStreamEvents,
  type StreamDesk,
  type StreamTimings,
} from './chat-streams';
import { asBridgeError, isBridgeError, ErrorCode } from './errors';
import { LeaseKeeper } from './lease-keeper';
import type {
  Availability,
  DeskRoutingContext,
  Clock,
  Desk,
  DeskEvent,
  DeskEventSink,
  EndReason,
  Logger,
  OpenChatRequest,
  Store,
  TimerHandle,
  UserMessage,
} from './ports';
import { StreamRegistry } from './stream-registry';

export interface ChatStreamOwnerDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** This process's name on the leases; a random one by default. */
  owner?: string;
  timings?: Partial<StreamTimings>;
}

/** A chat whose connection this process holds. */
interface HeldChat {
  sessionId: string;
  keeper: LeaseKeeper;
  cursor?: string;
  stream?: ChatStream;
  /** Counts opens, so calls from a connection replaced since are ignored. */
  generation: number;
  /** Events are handled one at a time, in the order the desk reported them. */
  chain: Promise<void>;
  reopenTimer?: TimerHandle;
  failures: number;
  closed: boolean;
}

/** How many chats a scan tries to take at once (each may open a connection). */
const TAKE_CONCURRENCY = 8;

export class ChatStreamOwner implements Desk {
  readonly name: string;
  readonly owner: string;
  private readonly timings: StreamTimings;
  private readonly registry: StreamRegistry;
  private readonly held = new Map<string, HeldChat>();
  private sink?: DeskEventSink;
  private scanTimer?: TimerHandle;
  private scanning?: Promise<void>;
  private stopping = false;
  private stopped?: Promise<void>;

  constructor(
    private readonly desk: StreamDesk,
    private readonly deps: ChatStreamOwnerDeps,
  ) {
    this.name = desk.name;
    this.owner = deps.owner ?? `streams-${randomUUID()}`;
    this.timings = { ...DEFAULT_STREAM_TIMINGS, ...deps.timings };
    this.registry = new StreamRegistry(deps.store, deps.clock, desk.name, this.timings.chatTtlMs);
  }

  /** Session ids whose connection this process holds now (health, tests). */
  get owned(): string[] {
    return [...this.held.keys()];
  }

  async start(sink: DeskEventSink): Promise<void> {
    this.sink = sink;
    await this.desk.start(sink);
    // A process that starts picks up the chats a dead one left, without waiting a whole interval.
    this.scheduleScan(0);
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      this.scanTimer?.cancel();
      await this.scanning;
      await Promise.all([...this.held.values()].map((chat) => this.letGo(chat, { release: true })));
      await this.desk.stop();
    })();
    return this.stopped;
  }

  checkAvailability(context?: DeskRoutingContext): Promise<Availability> {
    return context ? this.desk.checkAvailability(context) : this.desk.checkAvailability();
  }

  async openChat(request: OpenChatRequest): Promise<void> {
    await this.desk.openChat(request);
    try {
      await this.registry.add(request.sessionId);
    } catch (e) {
      // Unlisted, no process would ever stream the chat: undo it rather than leave the user waiting.
      await this.desk.endChat(request.sessionId, 'desk_error').catch(() => undefined);
      throw e;
    }
    // The opener owns the connection first; should that fail, the next scan (anywhere) retries.
    await this.take(request.sessionId).catch((e) =>
      this.deps.logger.warn({ err: asBridgeError(e), sessionId: request.sessionId }, 'could not open the chat stream; a scan retries'),
    );
  }

  sendMessage(sessionId: string, message: UserMessage): Promise<void> {
    return this.desk.sendMessage(sessionId, message);
  }

  get sendTyping(): Desk['sendTyping'] {
    const send = this.desk.sendTyping?.bind(this.desk);
    return send && ((sessionId) => send(sessionId));
  }

  async endChat(sessionId: string, reason: EndReason): Promise<void> {
    try {
      await this.desk.endChat(sessionId, reason);
    } finally {
      // Over on our side even when the vendor could not be told: its events would go nowhere.
      await this.forget(sessionId);
    }
  }

  /** One takeover pass now (also run on the timer): take the registry's chats nobody holds. */
  scan(): Promise<void> {
    this.scanning ??= this.runScan().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private scheduleScan(ms: number): void {
    if (this.stopping) return;
    this.scanTimer = this.deps.clock.setTimer(ms, () => {
      void this.scan().finally(() => this.scheduleScan(this.timings.scanIntervalMs));
    });
  }

  private async runScan(): Promise<void> {
    if (this.stopping) return;
    try {
      // Held before the registry is read: a chat taken meanwhile is surely listed.
      const heldBefore = [...this.held.values()];
      const open = await this.registry.all();
      const listed = new Set(open);
      for (const chat of heldBefore) {
        if (!listed.has(chat.sessionId) && this.held.get(chat.sessionId) === chat) {
          this.deps.logger.info({ sessionId: chat.sessionId }, 'chat stream ended elsewhere; closing it here');
          await this.letGo(chat, { release: true, deleteCursor: true });
        }
      }
      const free = open.filter((id) => !this.held.has(id));
      for (let i = 0; i < free.length && !this.stopping; i += TAKE_CONCURRENCY) {
        await Promise.all(
          free
            .slice(i, i + TAKE_CONCURRENCY)
            .map((id) =>
              this.take(id).catch((e) =>
                this.deps.logger.warn({ err: asBridgeError(e), sessionId: id }, 'could not take over a chat stream'),
              ),
            ),
        );
      }
    } catch (e) {
      this.deps.logger.warn({ err: asBridgeError(e) }, 'chat stream scan failed; retrying at the next one');
    }
  }

  /** Take the chat's lease if it is free and open its connection from the persisted cursor. */
  private async take(sessionId: string): Promise<void> {
    if (this.stopping || this.held.has(sessionId)) return;
    const { store, clock, logger } = this.deps;
    let chat: HeldChat | undefined;
    const keeper = await LeaseKeeper.acquire(
      { store, clock, logger },
      streamKeys.lease(this.name, sessionId),
      this.owner,
      this.timings.leaseTtlMs,
      () => {
        if (chat) void this.letGo(chat, { release: false });
      },
    );
    if (!keeper) return; // held by a live owner
    if (this.stopping || this.held.has(sessionId)) {
      await keeper.release();
      return;
    }
    chat = { sessionId, keeper, generation: 0, chain: Promise.resolve(), failures: 0, closed: false };
    this.held.set(sessionId, chat);
    try {
      chat.cursor = await store.get<string>(streamKeys.cursor(this.name, sessionId));
    } catch (e) {
      // Without its cursor the chat cannot resume where it was: leave it to the next scan.
      await this.letGo(chat, { release: true });
      throw e;
    }
    logger.info({ sessionId, token: keeper.lease.token, cursor: chat.cursor }, 'owning chat stream');
    await this.connect(chat);
  }

  private async connect(chat: HeldChat): Promise<void> {
    if (chat.closed || chat.keeper.lost) return;
    const generation = ++chat.generation;
    const events: ChatStreamEvents = {
      event: (event, cursor) => this.onEvent(chat, generation, event, cursor),
      dropped: (reason) => this.onDropped(chat, generation, reason),
    };
    let stream: ChatStream;
    try {
      stream = await this.desk.openStream(chat.sessionId, chat.cursor, events);
    } catch (e) {
      if (isBridgeError(e, ErrorCode.UnknownSession)) {
        this.deps.logger.warn({ sessionId: chat.sessionId }, 'the desk no longer knows this chat; ending it');
        await this.forget(chat.sessionId);
        await this.sink?.({ type: 'ended', sessionId: chat.sessionId, reason: 'desk_error' }).catch((err) =>
          this.deps.logger.warn({ err: asBridgeError(err), sessionId: chat.sessionId }, 'could not tell the user the chat ended'),
        );
        return;
      }
      this.deps.logger.warn({ err: asBridgeError(e), sessionId: chat.sessionId }, 'could not open the chat stream; retrying');
      this.scheduleReopen(chat, generation);
      return;
    }
    if (chat.closed || generation !== chat.generation || chat.keeper.lost) {
      await stream.close();
      return;
    }
    chat.stream = stream;
    chat.failures = 0;
  }

  private onEvent(chat: HeldChat, generation: number, event: DeskEvent, cursor?: string): Promise<boolean> {
    const handled = chat.chain.then(() => this.deliver(chat, generation, event, cursor));
    chat.chain = handled.then(() => undefined);
    return handled;
  }

  /** Never rejects: a failure is logged and answered `false` (see `ChatStreamEvents.event`). */
  private async deliver(chat: HeldChat, generation: number, event: DeskEvent, cursor?: string): Promise<boolean> {
    // A stale owner must not deliver: closed, replaced, or the lease gone (`lost` also notices a
    // renewal that did not come in time, e.g. after a long pause).
    if (chat.closed || generation !== chat.generation || chat.keeper.lost || !this.sink) return false;
    if (event.sessionId !== chat.sessionId) {
      this.deps.logger.warn({ sessionId: chat.sessionId, reported: event.sessionId }, 'stream event for another chat dropped');
      return false;
    }
    let delivered = true;
    await this.sink(event).catch((e) => {
      delivered = false;
      this.deps.logger.warn(
        { err: asBridgeError(e), sessionId: chat.sessionId, type: event.type },
        'stream event not delivered to the user',
      );
    });
    if (cursor !== undefined) {
      chat.cursor = cursor;
      try {
        const key = streamKeys.cursor(this.name, chat.sessionId);
        if (!(await this.deps.store.setIfLeaseHeld(chat.keeper.lease, key, cursor, this.timings.chatTtlMs))) chat.keeper.markLost();
      } catch (e) {
        // The next event's cursor is written again; a takeover meanwhile replays a little more.
        this.deps.logger.warn({ err: asBridgeError(e), sessionId: chat.sessionId }, 'could not persist the stream cursor');
      }
    }
    if (event.type === 'ended') await this.forget(chat.sessionId, { inChain: true });
    return delivered;
  }

  private onDropped(chat: HeldChat, generation: number, reason?: unknown): void {
    if (chat.closed || generation !== chat.generation) return;
    chat.stream = undefined;
    this.deps.logger.info(
      { sessionId: chat.sessionId, reason: reason === undefined ? undefined : String(reason) },
      'chat stream dropped; reopening',
    );
    this.scheduleReopen(chat, generation);
  }

  /** Reopen after the events in hand are handled (so the cursor is the last one), with a backoff. */
  private scheduleReopen(chat: HeldChat, generation: number): void {
    const delay = Math.min(this.timings.maxReopenDelayMs, this.timings.reopenDelayMs * 2 ** chat.failures);
    chat.failures += 1;
    void chat.chain.then(() => {
      if (chat.closed || generation !== chat.generation) return;
      chat.reopenTimer = this.deps.clock.setTimer(delay, () => {
        chat.reopenTimer = undefined;
        void this.connect(chat);
      });
    });
  }

  /**
   * The chat is over: let its connection go and remove what the owner kept of it. Failures are
   * logged: a registry entry left behind is dropped later, when opening its stream finds the
   * chat unknown or its entry expires.
   */
  private async forget(sessionId: string, opts: { inChain?: boolean } = {}): Promise<void> {
    const chat = this.held.get(sessionId);
    if (chat) await this.letGo(chat, { release: true, deleteCursor: true, inChain: opts.inChain });
    try {
      await this.registry.remove(sessionId);
      if (!chat) await this.deps.store.delete(streamKeys.cursor(this.name, sessionId));
    } catch (e) {
      this.deps.logger.warn({ err: asBridgeError(e), sessionId }, 'could not remove an ended chat from the stream registry');
    }
  }

  /**
   * Close the chat's connection here. With `release`, also let the event in hand finish (it
   * persists its cursor under the lease; not awaited from inside that event, `inChain`) and give
   * the lease up; without, the lease is lost already.
   */
  private async letGo(chat: HeldChat, opts: { release: boolean; deleteCursor?: boolean; inChain?: boolean }): Promise<void> {
    if (this.held.get(chat.sessionId) === chat) this.held.delete(chat.sessionId);
    if (chat.closed) return;
    chat.closed = true;
    chat.reopenTimer?.cancel();
    const stream = chat.stream;
    chat.stream = undefined;
    if (stream)
      await stream
        .close()
        .catch((e) => this.deps.logger.warn({ err: asBridgeError(e), sessionId: chat.sessionId }, 'could not close a chat stream'));
    if (!opts.release) return;
    if (!opts.inChain) await chat.chain;
    if (opts.deleteCursor) await this.deps.store.delete(streamKeys.cursor(this.name, chat.sessionId)).catch(() => undefined);
    await chat.keeper.release();
  }
}
