/**
 * The broker: takes events from surfaces, desks and timers, applies the pure `transition`,
 * persists the result and runs the effects through the ports.
 *
 * Ordering: every event for one user runs on that user's queue, so a user's messages reach the
 * agent in order and a timeout cannot interleave with an accept. State lives in the Store, so
 * whichever process receives an event can handle it, and a restart loses nothing.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { Deadlines } from './deadlines';
import { asBridgeError, BridgeError, ErrorCode } from './errors';
import { userKey, type UserEvent, type UserEventHandler } from './events';
import { KeyedQueue } from './keyed-queue';
import { decideOffer, needsAvailability } from './policy';
import { broadcastKeys, broadcastView, type BroadcastMessage, type BroadcastOutcome } from './broadcast-message';
import { formatBytes, type FileVault } from './file-vault';
import type { AgentInfo, Clock, Desk, DeskEvent, FileRef, Logger, OutboundContent, SentRef, Store, Surface, SurfaceKind } from './ports';
import {
  newConversation,
  transition,
  type Conversation,
  type CoreEvent,
  type Effect,
  type InternalEvent,
} from './session';
import type { CoreSettings } from './settings';

export interface BrokerDeps {
  store: Store;
  desk: Desk;
  surfaces: Partial<Record<SurfaceKind, Surface>>;
  clock: Clock;
  logger: Logger;
  settings: CoreSettings;
  /** Where files in flight are kept and served from. */
  files: FileVault;
  newId?: () => string;
}

export type ChatState =
  | { phase: 'none' }
  | { phase: 'collecting' }
  | { phase: 'queued'; title: string }
  | { phase: 'live'; title: string; agents: AgentInfo[] };

/** Store keys, in one place so their shapes and lifetimes are easy to audit. */
export const keys = {
  /**
   * A user's `Conversation`, stored without what its key already says (the user key: the
   * surface and the profile id; see `storedConversation`).
   */
  conversation: (key: string) => `conv:${key}`,
  /** Open session id -> user key; removed when the session ends, so start-up sweeps stay small. */
  session: (sessionId: string) => `session:${sessionId}`,
  dedupe: (id: string) => `dedupe:${id}`,
};

/** Slack retries for ~5 minutes and Teams for less; keep marks well past that. */
export const DEDUPE_TTL_MS = 15 * 60 * 1000;

export class Broker implements UserEventHandler {
  private readonly queue = new KeyedQueue();
  /** Queue timeouts of waiting sessions, by session id (one clock timer for all of them). */
  private readonly timers: Deadlines;
  /**
   * The desk call the current async context is inside of (see `deskCall` and `onDeskEvent`). A
   * token rather than the key: work a desk starts during a call inherits the context but runs
   * after the call is done, and then reports like any other caller.
   */
  private readonly deskContext = new AsyncLocalStorage<{ key: string; done: boolean }>();
  private readonly newId: () => string;
  private availability?: { available: Promise<boolean>; at: number };
  private stopping = false;

  constructor(private readonly deps: BrokerDeps) {
    this.newId = deps.newId ?? (() => randomUUID());
    // The user is looked up when a deadline fires; on a queue of its own meanwhile, so `idle`
    // and `stop` wait for that too.
    this.timers = new Deadlines(deps.clock, (sessionId) => {
      void this.queue.run(`timeout:${sessionId}`, () => this.onQueueTimeout(sessionId));
    });
  }

  /** Connect the desk and re-arm queue timeouts of sessions that were waiting before a restart. */
  async start(): Promise<void> {
    await this.deps.desk.start((event) => this.onDeskEvent(event));
    for (const indexKey of await this.deps.store.keys(keys.session(''))) {
      const key = await this.deps.store.get<string>(indexKey);
      const session = key ? (await this.load(key))?.session : undefined;
      if (session?.phase === 'queued') this.armTimer(session.sessionId, session.deadline);
    }
  }

  /** Stop taking events, let queued work finish, and leave timers to the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.queue.drain();
    this.timers.clear();
    await this.deps.desk.stop();
  }

  /** Resolves once all queued work has finished (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue.drain();
  }

  async accept(event: UserEvent): Promise<'accepted' | 'duplicate'> {
    if (this.stopping) throw new BridgeError(ErrorCode.SurfaceUnavailable, 'The bridge is shutting down', { retryable: true, status: 503 });
    const key = userKey(event.user.surface, event.user.profile.id);
    // Join the user's queue before the dedupe round-trips, so events keep their arrival order;
    // the claim's answer decides inside the job whether it runs.
    const fresh = this.claimAll(event.dedupeKeys);
    // Not awaited: the platform's request must not wait on the desk. Failures are logged inside.
    void this.queue.run(key, async () =>
      (await fresh.catch(() => false)) ? this.apply(key, { source: 'user', event }, event) : [],
    );
    if (!(await fresh)) {
      this.deps.logger.debug({ dedupeKeys: event.dedupeKeys }, 'duplicate user event dropped');
      return 'duplicate';
    }
    return 'accepted';
  }

  /**
   * The sink desks report to. Resolves after the event was applied; rejects when the user could
   * not be reached, so the desk can tell the agent their message may not have arrived.
   */
  async onDeskEvent(event: DeskEvent): Promise<void> {
    const mark =
      event.type === 'agentMessage' || event.type === 'systemMessage'
        ? keys.dedupe(`desk:${event.sessionId}:${event.messageId}`)
        : undefined;
    if (mark && !(await this.deps.store.claim(mark, DEDUPE_TTL_MS))) {
      this.deps.logger.debug({ sessionId: event.sessionId, mark }, 'duplicate desk event dropped');
      return;
    }
    const key = await this.deps.store.get<string>(keys.session(event.sessionId));
    if (!key) {
      this.deps.logger.warn({ sessionId: event.sessionId, type: event.type }, 'desk event for an unknown or ended session ignored');
      return;
    }
    const job = () => this.apply(key, { source: 'desk', event });
    // A desk may report an event from inside a call we made while running this user's job (the
    // console reports `queued` from openChat, ServiceNow the ticket number) and wait for us:
    // waiting for that job would wait on ourselves. Only that case is not waited for; an event
    // from anywhere else waits, so a failure to reach the user is reported back to the desk.
    const inside = this.deskContext.getStore();
    if (inside && inside.key === key && !inside.done) {
      void this.queue.run(key, job);
      return;
    }
    const failures = await this.queue.run(key, job);
    if (failures.length > 0) {
      // Not delivered: forget the mark so the desk's retry of this message is not dropped.
      if (mark) await this.deps.store.delete(mark);
      throw new BridgeError(ErrorCode.SurfaceSendFailed, 'The user could not be reached', { cause: failures[0] });
    }
  }

  private async claimAll(dedupeKeys: string[]): Promise<boolean> {
    let fresh = true;
    for (const id of dedupeKeys) {
      if (!(await this.deps.store.claim(keys.dedupe(id), DEDUPE_TTL_MS))) fresh = false;
    }
    return fresh;
  }

  /** A queue timeout: the session's user is looked up when it fires (deadlines keep only ids). */
  private async onQueueTimeout(sessionId: string): Promise<void> {
    try {
      const key = await this.deps.store.get<string>(keys.session(sessionId));
      if (!key) return; // the session ended meanwhile
      await this.queue.run(key, () => this.apply(key, { source: 'internal', event: { type: 'queueTimeout', sessionId } }));
    } catch (e) {
      this.deps.logger.error({ err: asBridgeError(e), sessionId }, 'queue timeout not applied');
    }
  }

  /** A user's stored conversation, completed from its key (see `storedConversation`). */
  private async load(key: string): Promise<Conversation | undefined> {
    const conv = await this.deps.store.get<Conversation>(keys.conversation(key));
    if (!conv) return undefined;
    const colon = key.indexOf(':');
    conv.key = key;
    conv.surface = key.slice(0, colon) as SurfaceKind;
    conv.profile = { ...conv.profile, id: key.slice(colon + 1) };
    conv.history ??= [];
    if (conv.session?.phase === 'queued') conv.session.queuedNoticeSent ??= false;
    return conv;
  }

  /**
   * Apply one event to a user's conversation and run its effects. Returns the failures to reach
   * the user with an agent's message (see onDeskEvent); everything else is logged here.
   */
  private async apply(key: string, input: CoreEvent, init?: UserEvent): Promise<BridgeError[]> {
    const failures: BridgeError[] = [];
    try {
      const stored = await this.load(key);
      const current = stored ?? (init ? newConversation(key, init.user) : undefined);
      if (!current) {
        this.deps.logger.warn({ key, source: input.source }, 'event for a user with no stored state ignored');
        return failures;
      }
      const { state, effects } = transition(current, input, this.context());
      if (state !== stored) await this.save(stored, state);
      let latest = state;
      for (const effect of effects) latest = await this.run(latest, effect, failures);
      if (latest !== state) await this.save(state, latest);
    } catch (e) {
      this.deps.logger.error({ err: asBridgeError(e), key, source: input.source }, 'event processing failed');
    }
    return failures;
  }

  private context() {
    return { now: this.deps.clock.now(), settings: this.deps.settings, newId: this.newId };
  }

  private async save(before: Conversation | undefined, after: Conversation): Promise<void> {
    const ttl = this.deps.settings.retentionDays * 24 * 60 * 60 * 1000;
    const beforeId = sessionIdOf(before);
    const afterId = sessionIdOf(after);
    // Index first: a desk event may arrive as soon as the chat is opened.
    if (afterId && afterId !== beforeId) await this.deps.store.set(keys.session(afterId), after.key, ttl);
    await this.deps.store.set(keys.conversation(after.key), storedConversation(after), ttl);
    if (beforeId && beforeId !== afterId) await this.deps.store.delete(keys.session(beforeId));
  }

  /** Run one effect; events it produces (a sent card's ref, a failure) are applied at once. */
  private async run(state: Conversation, effect: Effect, failures: BridgeError[]): Promise<Conversation> {
    const followUps = await this.execute(state, effect, failures);
    let next = state;
    for (const event of followUps) {
      const result = transition(next, { source: 'internal', event }, this.context());
      next = result.state;
      for (const more of result.effects) next = await this.run(next, more, failures);
    }
    return next;
  }

  private async execute(state: Conversation, effect: Effect, failures: BridgeError[]): Promise<InternalEvent[]> {
    const { desk, logger } = this.deps;
    const log = { key: state.key, effect: effect.type };
    switch (effect.type) {
      case 'send': {
        try {
          const content = await this.withFileBytes(effect.content);
          const ref = await this.surface(state).send(state.address, content);
          return effect.track ? [{ type: 'cardSent', slot: effect.track.slot, id: effect.track.id, ref }] : [];
        } catch (e) {
          const err = asBridgeError(e);
          logger.error({ ...log, err }, 'could not send to the user');
          if (isAgentContent(effect)) failures.push(err);
          return [];
        }
      }
      case 'update':
        await attempt(() => this.surface(state).update(state.address, effect.ref, effect.content), (err) =>
          logger.warn({ ...log, err }, 'could not update an earlier card'));
        return [];
      case 'userTyping':
        await attempt(async () => this.surface(state).sendTyping?.(state.address, effect.agent), () => undefined);
        return [];
      case 'offer': {
        const view = await this.offerView(state.key, effect);
        const sent = await this.execute(state, { type: 'send', content: { kind: 'card', view }, track: { slot: 'offer', id: effect.offerId } }, failures);
        if (view.showButton) return sent;
        return [...sent, { type: 'offerHidden', offerId: effect.offerId, message: view.message, ...(view.hiddenReason ? { reason: view.hiddenReason } : {}) }];
      }
      case 'deskOpen': {
        const { sessionId } = effect.request;
        const deadline = state.session?.phase === 'queued' ? state.session.deadline : this.deps.clock.now();
        // A desk that never answers must not hold the user (and their queue timeout) forever.
        const outcome = await attempt(() => this.deskCall(state.key, () => this.beforeDeadline(desk.openChat(effect.request), deadline)), (err) =>
          logger.error({ ...log, err, sessionId }, 'desk could not open the chat'));
        if (outcome === 'timeout') return [{ type: 'queueTimeout', sessionId }];
        return outcome === failed ? [{ type: 'deskOpenFailed', sessionId }] : [];
      }
      case 'deskSend': {
        const { files, refused } = await this.fetchUserFiles(state, effect.sessionId, effect.message.files ?? []);
        const followUps: InternalEvent[] = refused.map((r) => ({ type: 'fileRefused', sessionId: effect.sessionId, ...r }));
        const message = { ...effect.message, files: files.length > 0 ? files : undefined };
        if (!message.text.trim() && !message.files) return followUps;
        const outcome = await attempt(() => this.deskCall(state.key, () => desk.sendMessage(effect.sessionId, message)), (err) =>
          logger.error({ ...log, err, sessionId: effect.sessionId }, 'desk did not take a user message'));
        if (outcome === failed) followUps.push({ type: 'deskSendFailed', sessionId: effect.sessionId, messageId: effect.message.messageId });
        return followUps;
      }
      case 'deskTyping':
        await attempt(() => this.deskCall(state.key, async () => desk.sendTyping?.(effect.sessionId)), () => undefined);
        return [];
      case 'deskEnd':
        await attempt(() => this.deskCall(state.key, () => desk.endChat(effect.sessionId, effect.reason)), (err) =>
          logger.warn({ ...log, err, sessionId: effect.sessionId }, 'desk could not end the chat'));
        return [];
      case 'releaseBroadcasts':
        for (const item of effect.items) {
          const message = await this.broadcastMessage(item.broadcastId);
          if (!message) continue;
          const content: OutboundContent = { kind: 'card', view: broadcastView(item.broadcastId, message) };
          await attempt(() => this.surface(state).update(state.address, item.ref, content), (err) =>
            logger.warn({ ...log, err, broadcastId: item.broadcastId }, 'could not put the buttons back on a broadcast'));
        }
        return [];
      case 'recordBroadcastAnswer': {
        const message = await this.broadcastMessage(effect.broadcastId);
        const action = message?.actions[effect.index];
        if (!message || !action || 'url' in action) return [];
        const ttl = this.deps.settings.retentionDays * 24 * 60 * 60 * 1000;
        await this.deps.store.set(broadcastKeys.answer(effect.broadcastId, state.key), { index: effect.index, title: action.title, at: this.deps.clock.now() }, ttl);
        if (effect.source) {
          const view = broadcastView(effect.broadcastId, message, { status: { text: `You answered: ${action.title}` } });
          await attempt(() => this.surface(state).update(state.address, effect.source!, { kind: 'card', view }), () => undefined);
        }
        return [];
      }
      case 'startTimer':
        this.armTimer(effect.sessionId, effect.at);
        return [];
      case 'cancelTimer':
        this.timers.cancel(effect.sessionId);
        return [];
    }
  }

  /**
   * Deliver a broadcast to one user, on that user's queue so it cannot race a chat starting or
   * ending. During a chat the buttons are disabled (with `disabledNote`) and put back when it ends.
   */
  deliverBroadcast(
    surface: SurfaceKind,
    userId: string,
    broadcastId: string,
    message: BroadcastMessage,
    disabledNote: string,
  ): Promise<{ outcome: BroadcastOutcome; reason?: string; retryable?: boolean }> {
    const key = userKey(surface, userId);
    return this.queue.run(key, async () => {
      const conv = await this.load(key);
      if (!conv) return { outcome: 'unknown_user' as const };
      const inChat = conv.session?.phase === 'queued' || conv.session?.phase === 'live';
      const view = broadcastView(broadcastId, message, { disabledNote: inChat ? disabledNote : undefined });
      let ref: SentRef;
      try {
        ref = await this.surface(conv).send(conv.address, { kind: 'card', view });
      } catch (e) {
        const err = asBridgeError(e);
        return { outcome: 'failed' as const, reason: err.message, retryable: err.retryable };
      }
      if (inChat) {
        const failures: BridgeError[] = [];
        const result = transition(conv, { source: 'internal', event: { type: 'broadcastDelivered', broadcastId, ref, held: true } }, this.context());
        let latest = result.state;
        for (const effect of result.effects) latest = await this.run(latest, effect, failures);
        await this.save(conv, latest);
      }
      return { outcome: inChat ? ('delivered_buttons_disabled' as const) : ('delivered' as const) };
    });
  }

  /**
   * Where a user's agent chat stands, for surfaces that show it (the web page's hint line). A
   * read-only look at stored state: the broker saves a transition's state before running its
   * effects, so by the time a surface sends "Beth joined", this already says `live`.
   */
  async chatState(surface: SurfaceKind, userId: string): Promise<ChatState> {
    const session = (await this.load(userKey(surface, userId)))?.session;
    switch (session?.phase) {
      case undefined:
        return { phase: 'none' };
      case 'collecting':
        return { phase: 'collecting' };
      case 'queued':
        return { phase: 'queued', title: session.request.title };
      case 'live':
        return { phase: 'live', title: session.request.title, agents: session.agents };
    }
  }

  private async broadcastMessage(id: string): Promise<BroadcastMessage | undefined> {
    return (await this.deps.store.get<{ message: BroadcastMessage }>(broadcastKeys.record(id)))?.message;
  }

  /**
   * Download the user's files with the surface's credentials into the vault, so the desk gets a
   * bridge URL and the bytes. A file that is too big or cannot be fetched is refused on its own;
   * the rest of the message still goes.
   */
  private async fetchUserFiles(state: Conversation, sessionId: string, files: FileRef[]) {
    const { maxBytes } = this.deps.settings.files;
    const fetched: FileRef[] = [];
    const refused: { name: string; reason: string }[] = [];
    for (const file of files) {
      try {
        const surface = this.surface(state);
        let bytes = file.content;
        if (!bytes) {
          if (!surface.download) throw new BridgeError(ErrorCode.FileRejected, `${state.surface} cannot download files`);
          bytes = await surface.download(state.address, file, maxBytes);
        }
        if (bytes.byteLength > maxBytes) {
          refused.push({ name: file.name, reason: `it is larger than ${formatBytes(maxBytes)}` });
          continue;
        }
        fetched.push(await this.deps.files.put(sessionId, file, bytes));
      } catch (e) {
        const err = asBridgeError(e);
        this.deps.logger.warn({ key: state.key, err, file: file.name }, 'user file not relayed');
        refused.push({
          name: file.name,
          reason: err.code === ErrorCode.FileRejected ? err.message : 'it could not be downloaded',
        });
      }
    }
    return { files: fetched, refused };
  }

  /** Agent files kept in our vault get their bytes, for surfaces that upload rather than link. */
  private async withFileBytes(content: OutboundContent): Promise<OutboundContent> {
    if (content.kind !== 'text' || !content.files?.length) return content;
    return { ...content, files: await Promise.all(content.files.map((f) => this.deps.files.materialize(f))) };
  }

  /** Resolves with the promise's value, or 'timeout' once the clock passes `at`. */
  private beforeDeadline<T>(work: Promise<T>, at: number): Promise<T | 'timeout'> {
    return new Promise<T | 'timeout'>((resolve, reject) => {
      const timer = this.deps.clock.setTimer(Math.max(0, at - this.deps.clock.now()), () => resolve('timeout'));
      work.then(
        (v) => {
          timer.cancel();
          resolve(v);
        },
        (e) => {
          timer.cancel();
          reject(e);
        },
      );
    });
  }

  private surface(state: Conversation): Surface {
    const surface = this.deps.surfaces[state.surface];
    if (!surface) throw new BridgeError(ErrorCode.SurfaceUnavailable, `The ${state.surface} surface is not configured`);
    return surface;
  }

  private async offerView(key: string, effect: Extract<Effect, { type: 'offer' }>) {
    const { offer, messages } = this.deps.settings;
    const decision = decideOffer({
      noAgentsReason: messages.noAgentsAvailable,
      policy: offer.policy,
      hours: offer.hours,
      now: this.deps.clock.now(),
      agentsAvailable: needsAvailability(offer.policy, offer.hours, this.deps.clock.now())
        ? await this.deskCall(key, () => this.agentsAvailable())
        : undefined,
    });
    return {
      type: 'offer' as const,
      offerId: effect.offerId,
      // One coherent message: never "I can connect you" above "No agents are available".
      message: decision.show ? effect.message : effect.unavailableMessage,
      showButton: decision.show,
      hiddenReason: decision.reason,
      fallback: decision.show ? undefined : offer.fallback,
    };
  }

  /** The desk's availability, cached briefly so a burst of users asks the desk once. */
  private async agentsAvailable(): Promise<boolean> {
    const { clock, settings, desk, logger } = this.deps;
    const now = clock.now();
    const cached = this.availability;
    if (cached && now - cached.at < settings.offer.availabilityCacheSeconds * 1000) return cached.available;
    // Cache the question, not only the answer: a burst of offers then shares one desk call.
    const pending = (async () => (await desk.checkAvailability()).available)();
    const entry = { available: pending, at: now };
    this.availability = entry;
    try {
      return await pending;
    } catch (e) {
      if (this.availability === entry) this.availability = undefined;
      logger.warn({ err: asBridgeError(e), desk: desk.name }, 'availability check failed; using the configured default');
      return settings.offer.availabilityOnError === 'show';
    }
  }

  private armTimer(sessionId: string, at: number): void {
    this.timers.set(sessionId, at);
  }

  /**
   * Call the desk on behalf of `key`'s running job, marked for `onDeskEvent` until the call
   * settles (or the broker stops waiting for it: `beforeDeadline` inside `call`).
   */
  private async deskCall<T>(key: string, call: () => Promise<T>): Promise<T> {
    // AsyncLocalStorage costs a few percent of CPU (promise hooks) on Node 20; it buys telling a
    // desk's own callback apart from a concurrent event, which exact delivery reports need.
    const token = { key, done: false };
    try {
      return await this.deskContext.run(token, call);
    } finally {
      token.done = true;
    }
  }

}

/** Marks an effect that failed (already logged by `attempt`). */
const failed = Symbol('failed');

/** Run `work`, turning a failure (thrown at once or later) into `failed` after `onError` saw it. */
async function attempt<T>(work: () => Promise<T>, onError: (err: BridgeError) => void): Promise<T | typeof failed> {
  try {
    return await work();
  } catch (e) {
    onError(asBridgeError(e));
    return failed;
  }
}

/**
 * A conversation as stored: without its key, surface and profile id, which are the store key's
 * (`conv:<surface>:<profile id>`), an empty history or a `queuedNoticeSent` still false.
 * `Broker.load` puts them back. (Memory per open session counts: see bench/README.md.)
 */
function storedConversation(conv: Conversation): object {
  const { key: _key, surface: _surface, profile, history, session, ...rest } = conv;
  const { id: _id, ...named } = profile;
  return {
    ...rest,
    profile: named,
    ...(history.length > 0 ? { history } : {}),
    ...(session ? { session: session.phase === 'queued' && !session.queuedNoticeSent ? { ...session, queuedNoticeSent: undefined } : session } : {}),
  };
}

function sessionIdOf(conv: Conversation | undefined): string | undefined {
  const s = conv?.session;
  return s && s.phase !== 'collecting' ? s.sessionId : undefined;
}

function isAgentContent(effect: Extract<Effect, { type: 'send' }>): boolean {
  const c = effect.content;
  return (c.kind === 'text' && c.from !== undefined) || (c.kind === 'card' && c.view.type === 'agentMessage');
}
