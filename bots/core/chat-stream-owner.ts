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
 * One held chat's connection (events in order, the fenced cursor, reopening) is `held-stream.ts`.
 *
 * Delivery is at least once: a cursor is persisted after its event was delivered, so an owner
 * that dies between the two has the event replayed by its successor, and the broker's
 * de-duplication of desk messages by `messageId` drops the copy.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_STREAM_TIMINGS, type StreamDesk, type StreamTimings, streamKeys } from './chat-streams';
import { asBridgeError } from './errors';
import { HeldStream, type StreamHost } from './held-stream';
import { LeaseKeeper } from './lease-keeper';
import type {
  Availability,
  DeskRoutingContext,
  Clock,
  Desk,
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

/** How many chats a scan tries to take at once (each may open a connection). */
const TAKE_CONCURRENCY = 8;

export class ChatStreamOwner implements Desk {
  readonly name: string;
  readonly owner: string;
  private readonly timings: StreamTimings;
  private readonly registry: StreamRegistry;
  private readonly held = new Map<string, HeldStream>();
  private sink?: DeskEventSink;
  private scanTimer?: TimerHandle;
  private scanning?: Promise<void>;
  private stopping = false;
  private stopped?: Promise<void>;
  private readonly host: StreamHost;

  constructor(
    private readonly desk: StreamDesk,
    private readonly deps: ChatStreamOwnerDeps,
  ) {
    this.name = desk.name;
    this.owner = deps.owner ?? `streams-${randomUUID()}`;
    this.timings = { ...DEFAULT_STREAM_TIMINGS, ...deps.timings };
    this.registry = new StreamRegistry(deps.store, deps.clock, desk.name, this.timings.chatTtlMs);
    this.host = {
      desk,
      store: deps.store,
      clock: deps.clock,
      logger: deps.logger,
      timings: this.timings,
      sink: () => this.sink,
      unknownToDesk: async (sessionId) => {
        await this.forget(sessionId);
        await this.sink?.({ type: 'ended', sessionId, reason: 'desk_error' }).catch((err) =>
          this.deps.logger.warn({ err: asBridgeError(err), sessionId }, 'could not tell the user the chat ended'),
        );
      },
      ended: (sessionId) => this.forget(sessionId, { inChain: true }),
    };
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
    const sendTyping = this.desk.sendTyping;
    return sendTyping && ((sessionId) => sendTyping.call(this.desk, sessionId));
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
    let chat: HeldStream | undefined;
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
    chat = new HeldStream(this.host, sessionId, keeper);
    this.held.set(sessionId, chat);
    try {
      chat.cursor = await store.get<string>(streamKeys.cursor(this.name, sessionId));
    } catch (e) {
      // Without its cursor the chat cannot resume where it was: leave it to the next scan.
      await this.letGo(chat, { release: true });
      throw e;
    }
    logger.info({ sessionId, token: keeper.lease.token, cursor: chat.cursor }, 'owning chat stream');
    await chat.connect();
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

  /** Stop holding the chat here (see `HeldStream.close`). */
  private async letGo(chat: HeldStream, opts: { release: boolean; deleteCursor?: boolean; inChain?: boolean }): Promise<void> {
    if (this.held.get(chat.sessionId) === chat) this.held.delete(chat.sessionId);
    await chat.close(opts);
  }
}
