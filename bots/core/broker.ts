/**
 * The broker: takes events from surfaces, desks and timers, applies the pure `transition`,
 * persists the result and runs the effects through the ports (`effects.ts`).
 *
 * One order per user, across processes: every event for a user (their messages and clicks, the
 * desk's events, queue timeouts, broadcast deliveries) is appended to the user's inbox in the
 * Store before it is acknowledged, and applied from there one at a time, in order, by the one
 * process holding the user's lease (`inbox.ts`). A process that dies leaves its inboxes to
 * whoever sweeps next. Applying is idempotent: the state an event leads to is written with the
 * effects still to run (the outbox, `conversations.ts`), and written again without them in the
 * step that removes the event from the inbox, so a takeover never applies an event twice; it
 * runs the effects of one whose completion was not recorded, which is the one window left: such
 * an effect may run twice (desk messages carry their message id, so desks drop the copy).
 * A relayed message or typing skips the outbox (`replayable`): applying it again reproduces it.
 */
import { randomUUID } from 'node:crypto';
import type { BroadcastMessage } from './broadcast-message';
import { broadcastStep, type BroadcastResult } from './broadcast-step';
import { type ChatState, chatStateOf } from './chat-state';
import {
  conversationFrom,
  DEDUPE_TTL_MS,
  keys,
  loadConversation,
  retentionMs,
  sessionIdOf,
  storedConversation,
  type Outbox,
} from './conversations';
import { Deadlines } from './deadlines';
import { EffectRunner, type BrokerPorts } from './effects';
import { asBridgeError, BridgeError, ErrorCode } from './errors';
import { userKey, type UserEvent, type UserEventHandler } from './events';
import { coreEvent, portable, restored, withoutBytes, type Entry } from './broker-entries';
import { Inboxes, LeaseLost, TIMED_OUT, type Applied } from './inbox';
import type { LeaseKeeper } from './lease-keeper';
import type { DeskEvent, OutboundContent, SurfaceKind, TimerHandle } from './ports';
import { newConversation, transition, type Conversation } from './session';
import { type Effect, replayable } from './session-events';

export { keys, DEDUPE_TTL_MS };
export type { ChatState };

type Loaded = Awaited<ReturnType<typeof loadConversation>>;

export interface BrokerDeps extends BrokerPorts {
  newId?: () => string;
  /** This process among those sharing the store (default: random). */
  owner?: string;
  /** A user's lease while their inbox is applied (default 5 s, renewed every third). */
  ownerLeaseMs?: number;
  /** How often inboxes left by a dead process are looked for (default 5 s). */
  recoverEveryMs?: number;
  /** How long a desk or a broadcast waits for another process to report an outcome (default 30 s). */
  outcomeWaitMs?: number;
}

/** Queue timeouts armed or cancelled anywhere reach every process (a dead one's timers live on). */
const DEADLINES_CHANNEL = 'broker:deadlines';

export class Broker implements UserEventHandler {
  /** Queue timeouts of waiting sessions, by session id (one clock timer for all of them). */
  private readonly timers: Deadlines;
  private readonly inboxes: Inboxes<Entry>;
  private readonly effects: EffectRunner;
  private readonly newId: () => string;
  private readonly owner: string;
  private recoverTimer?: TimerHandle;
  private unsubscribe?: () => Promise<void>;
  private stopping = false;

  constructor(private readonly deps: BrokerDeps) {
    this.newId = deps.newId ?? (() => randomUUID());
    this.owner = deps.owner ?? randomUUID();
    this.timers = new Deadlines(deps.clock, (sessionId) => this.inboxes.track(this.onQueueTimeout(sessionId)));
    this.effects = new EffectRunner({
      ...deps,
      context: () => this.context(),
      armTimer: (sessionId, at) => this.shareDeadline(sessionId, at),
      cancelTimer: (sessionId) => this.shareDeadline(sessionId),
    });
    this.inboxes = new Inboxes<Entry>({
      ...deps,
      owner: this.owner,
      leaseMs: deps.ownerLeaseMs ?? 5000,
      outcomeWaitMs: deps.outcomeWaitMs ?? 30_000,
      apply: (key, entry, keeper, memo) => this.apply(key, restored(entry), keeper, memo),
      readWithLease: keys.conversation,
    });
  }

  /** Connect the desk, re-arm queue timeouts, and apply what dead processes left. */
  async start(): Promise<void> {
    const { store, desk } = this.deps;
    await this.inboxes.start();
    this.unsubscribe = await store.subscribe<{ from: string; sessionId: string; at?: number }>(DEADLINES_CHANNEL, (m) => {
      if (m.from === this.owner) return;
      if (m.at === undefined) this.timers.cancel(m.sessionId);
      else this.timers.set(m.sessionId, m.at);
    });
    await desk.start((event) => this.onDeskEvent(event));
    for (const indexKey of await store.keys(keys.session(''))) {
      const key = await store.get<string>(indexKey);
      const session = key ? (await loadConversation(store, key))?.conv.session : undefined;
      if (session?.phase === 'queued') this.timers.set(session.sessionId, session.deadline);
    }
    await this.recover();
  }

  /** Stop taking events, let the work in hand finish, and leave timers to the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.recoverTimer?.cancel();
    await this.inboxes.idle();
    this.timers.clear();
    await this.unsubscribe?.();
    await this.inboxes.stop();
    await this.deps.desk.stop();
  }

  /** Resolves once all work this process has in hand has finished (tests, shutdown). */
  idle(): Promise<void> {
    return this.inboxes.idle();
  }

  async accept(event: UserEvent): Promise<'accepted' | 'duplicate'> {
    if (this.stopping) throw new BridgeError(ErrorCode.SurfaceUnavailable, 'The bridge is shutting down', { retryable: true, status: 503 });
    const key = userKey(event.user.surface, event.user.profile.id);
    const marks = event.dedupeKeys.map((id) => keys.dedupe(id));
    const { fresh } = await this.inboxes.post(key, portable({ id: Inboxes.newId(), kind: 'user', event }), marks);
    if (!fresh) this.deps.logger.debug({ dedupeKeys: event.dedupeKeys }, 'duplicate user event dropped');
    return fresh ? 'accepted' : 'duplicate';
  }

  /**
   * The sink desks report to. Resolves after the event was applied; rejects when the user could
   * not be reached, so the desk can tell the agent their message may not have arrived.
   */
  async onDeskEvent(event: DeskEvent): Promise<void> {
    const key = await this.deps.store.get<string>(keys.session(event.sessionId));
    if (!key) {
      this.deps.logger.warn({ sessionId: event.sessionId, type: event.type }, 'desk event for an unknown or ended session ignored');
      return;
    }
    const mark =
      event.type === 'agentMessage' || event.type === 'systemMessage'
        ? keys.dedupe(`desk:${event.sessionId}:${event.messageId}`)
        : undefined;
    // The sink's contract (`DeskEventSink`): a report from inside a call we are making for this
    // chat is queued, not waited for (its outcome would wait on ourselves); any other is waited for.
    const wait = !this.effects.insideDeskCall(key);
    const entry: Entry = { id: Inboxes.newId(), ...(wait ? { reply: this.owner } : {}), kind: 'desk', event, ...(mark ? { mark } : {}) };
    const { fresh, outcome } = await this.inboxes.post(key, portable(entry), mark ? [mark] : []);
    if (!fresh) {
      this.deps.logger.debug({ sessionId: event.sessionId, mark }, 'duplicate desk event dropped');
      return;
    }
    const result = (await outcome) as { failure?: string } | typeof TIMED_OUT | undefined;
    if (result === TIMED_OUT) {
      this.deps.logger.warn({ sessionId: event.sessionId }, 'no outcome reported in time for a desk event; it stays queued for the user');
    } else if (result?.failure) {
      throw new BridgeError(ErrorCode.SurfaceSendFailed, 'The user could not be reached', { cause: new Error(result.failure) });
    }
  }

  /**
   * Deliver a broadcast to one user, through the user's inbox so it cannot race a chat starting
   * or ending. During a chat the buttons are disabled (with `disabledNote`) and put back when it ends.
   */
  async deliverBroadcast(
    surface: SurfaceKind,
    userId: string,
    broadcastId: string,
    message: BroadcastMessage,
    disabledNote: string,
  ): Promise<BroadcastResult> {
    const entry: Entry = { id: Inboxes.newId(), reply: this.owner, kind: 'broadcast', broadcastId, message, disabledNote };
    const { outcome } = await this.inboxes.post(userKey(surface, userId), entry, []);
    const result = (await outcome) as BroadcastResult | typeof TIMED_OUT;
    if (result === TIMED_OUT) return { outcome: 'failed', reason: 'no process reported the delivery in time', retryable: false };
    return result;
  }

  /**
   * Where a user's agent chat stands, for surfaces that show it (the web page's hint line). A
   * read-only look at stored state: the broker saves a transition's state before running its
   * effects, so by the time a surface sends "Beth joined", this already says `live`.
   */
  async chatState(surface: SurfaceKind, userId: string): Promise<ChatState> {
    return chatStateOf((await loadConversation(this.deps.store, userKey(surface, userId)))?.conv.session);
  }

  /** Apply the inboxes that nobody holds (a dead process's), now and every few seconds. */
  private async recover(): Promise<void> {
    this.recoverTimer = undefined;
    if (this.stopping) return;
    await this.inboxes.recover().catch((e: unknown) => this.deps.logger.warn({ err: asBridgeError(e) }, 'inbox sweep failed; retrying'));
    if (!this.stopping) this.recoverTimer = this.deps.clock.setTimer(this.deps.recoverEveryMs ?? 5000, () => void this.recover());
  }

  /** A queue timeout: an event like any other, once however many processes fire it. */
  private async onQueueTimeout(sessionId: string): Promise<void> {
    try {
      const key = await this.deps.store.get<string>(keys.session(sessionId));
      if (!key) return; // the session ended meanwhile
      await this.inboxes.post(key, { id: Inboxes.newId(), kind: 'timeout', sessionId }, [keys.dedupe(`timeout:${sessionId}`)]);
    } catch (e) {
      this.deps.logger.error({ err: asBridgeError(e), sessionId }, 'queue timeout not applied');
    }
  }

  private shareDeadline(sessionId: string, at?: number): void {
    if (at === undefined) this.timers.cancel(sessionId);
    else this.timers.set(sessionId, at);
    this.deps.store.publish(DEADLINES_CHANNEL, { from: this.owner, sessionId, ...(at === undefined ? {} : { at }) }).catch(() => undefined);
  }

  /**
   * Apply one inbox entry under the user's lease: its transition, the state written with its
   * effects (the outbox) before they run, and what `settleHead` writes when they are done.
   */
  private async apply(
    key: string,
    entry: Entry,
    keeper: LeaseKeeper,
    memo: { loaded?: Loaded | null; read?: { value: unknown } },
  ): Promise<Applied> {
    const { store, logger } = this.deps;
    try {
      // Under the lease nobody else writes the conversation: the previous entry's result is current.
      // The drain's first entry may come with the state read with the lease (`readWithLease`).
      const read = memo.read;
      memo.read = undefined;
      const loaded =
        memo.loaded !== undefined
          ? (memo.loaded ?? undefined)
          : read
            ? conversationFrom(key, read.value)
            : await loadConversation(store, key);
      memo.loaded = undefined;
      const stored = loaded?.conv;
      let step: { state: Conversation; effects: Effect[]; outcome?: unknown } | undefined;
      if (loaded?.outbox?.entry === entry.id) {
        // Applied by a process that stopped before recording its effects as done: run them (again).
        step = { state: loaded.conv, effects: loaded.outbox.effects, outcome: loaded.outbox.outcome };
      } else if (entry.kind === 'broadcast') {
        const send = (conv: Conversation, content: OutboundContent) => this.effects.surface(conv).send(conv.address, content);
        const delivered = await broadcastStep(stored, entry, send, this.context());
        if (!('state' in delivered)) return { outcome: delivered };
        step = delivered;
      } else {
        const input = coreEvent(entry);
        const current = stored ?? (entry.kind === 'user' ? newConversation(key, entry.event.user) : undefined);
        if (!current) {
          logger.warn({ key, source: input.source }, 'event for a user with no stored state ignored');
          return { outcome: {} };
        }
        step = { ...transition(current, input, this.context()) };
      }
      const { state, effects } = step;
      const ttlMs = retentionMs(this.deps.settings);
      const beforeId = sessionIdOf(stored);
      const afterId = sessionIdOf(state);
      // Index first: a desk event may arrive as soon as the chat is opened.
      if (afterId && afterId !== beforeId) await store.set(keys.session(afterId), key, ttlMs);
      if (effects.length > 0 && loaded?.outbox?.entry !== entry.id && !replayable(effects)) {
        const outbox: Outbox = {
          entry: entry.id,
          effects: withoutBytes(effects),
          ...(step.outcome === undefined ? {} : { outcome: step.outcome }),
        };
        if (!(await store.setIfLeaseHeld(keeper.lease, keys.conversation(key), storedConversation(state, outbox), ttlMs)))
          throw new LeaseLost();
      }
      const failures: BridgeError[] = [];
      const latest = await this.effects.runAll(state, effects, failures);
      const latestId = sessionIdOf(latest);
      for (const ended of new Set([beforeId, afterId])) if (ended && ended !== latestId) await store.delete(keys.session(ended));
      const changed = effects.length > 0 || latest !== stored;
      const writes = changed ? [{ key: keys.conversation(key), value: storedConversation(latest), ttlMs }] : [];
      memo.loaded = changed ? { conv: latest } : (loaded ?? null);
      if (entry.kind === 'desk' && failures.length > 0) {
        // Not delivered: forget the mark so the desk's retry of this message is not dropped.
        if (entry.mark) await store.delete(entry.mark);
        return { outcome: { failure: failures[0].message }, writes };
      }
      return { outcome: step.outcome ?? {}, writes };
    } catch (e) {
      const err = asBridgeError(e);
      // The store away or the lease lost: the entry stays for the next holder.
      if (e instanceof LeaseLost || err.code === ErrorCode.StoreUnavailable) throw e;
      logger.error({ err, key, kind: entry.kind }, 'event processing failed');
      return { outcome: entry.kind === 'broadcast' ? { outcome: 'failed', reason: err.message } : {} };
    }
  }

  private context() {
    return { now: this.deps.clock.now(), settings: this.deps.settings, newId: this.newId };
  }
}
