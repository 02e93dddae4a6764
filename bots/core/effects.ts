/**
 * Running a transition's effects through the ports: sends to users, desk calls, broadcast cards,
 * timers. An effect's failure is logged and, where the core must know, turned into a follow-up
 * event (a card's ref, `deskOpenFailed`, `deskSendFailed`) that is applied at once.
 *
 * Desk calls are marked (`deskCall`) so the broker can tell a desk's report from inside a call it
 * is making for that user (which must not wait for the user's inbox: it would wait on itself)
 * from a report from anywhere else (which waits, so a failure to reach the user is reported).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { broadcastKeys, broadcastView, type BroadcastMessage } from './broadcast-message';
import { asBridgeError, BridgeError, ErrorCode } from './errors';
import { formatBytes, type FileVault } from './file-vault';
import { routingContextOf } from './desk-routing';
import { OfferView } from './offer-view';
import type { Clock, Desk, FileRef, Logger, OutboundContent, Store, Surface, SurfaceKind } from './ports';
import { transition, type Conversation, type Effect, type InternalEvent, type TransitionContext } from './session';
import type { CoreSettings } from './settings';
import { retentionMs } from './conversations';
import { routingFor } from './routing';

/** What effects run against: the ports and settings a broker is built with. */
export interface BrokerPorts {
  store: Store;
  desk: Desk;
  surfaces: Partial<Record<SurfaceKind, Surface>>;
  clock: Clock;
  logger: Logger;
  settings: CoreSettings;
  /** Where files in flight are kept and served from. */
  files: FileVault;
}

/** The broker's ports, plus the parts of the broker that effects drive. */
export interface EffectDeps extends BrokerPorts {
  context: () => TransitionContext;
  /** Queue timeouts (`startTimer`/`cancelTimer`), kept by the broker. */
  armTimer: (sessionId: string, at: number) => void;
  cancelTimer: (sessionId: string) => void;
}

export class EffectRunner {
  /**
   * The desk call the current async context is inside of. A token rather than the key: work a
   * desk starts during a call inherits the context but runs after the call is done, and then
   * reports like any other caller.
   */
  private readonly deskContext = new AsyncLocalStorage<{ key: string; done: boolean }>();
  private readonly offers: OfferView;

  constructor(private readonly deps: EffectDeps) {
    this.offers = new OfferView(deps, (key, call) => this.deskCall(key, call));
  }

  /** Whether the caller runs inside a desk call the broker is making for `key` right now. */
  insideDeskCall(key: string): boolean {
    const inside = this.deskContext.getStore();
    return !!inside && inside.key === key && !inside.done;
  }

  /** Run effects in order; events they produce (a sent card's ref, a failure) are applied at once. */
  async runAll(state: Conversation, effects: Effect[], failures: BridgeError[]): Promise<Conversation> {
    let latest = state;
    for (const effect of effects) latest = await this.run(latest, effect, failures);
    return latest;
  }

  private async run(state: Conversation, effect: Effect, failures: BridgeError[]): Promise<Conversation> {
    const followUps = await this.execute(state, effect, failures);
    let next = state;
    for (const event of followUps) {
      const result = transition(next, { source: 'internal', event }, this.deps.context());
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
        await attempt(
          () => this.surface(state).update(state.address, effect.ref, effect.content),
          (err) => logger.warn({ ...log, err }, 'could not update an earlier card'),
        );
        return [];
      case 'userTyping':
        await attempt(
          async () => this.surface(state).sendTyping?.(state.address, effect.agent),
          () => undefined,
        );
        return [];
      case 'offer': {
        // Asked of the desk this user's chat would go to (no topic yet: it is chosen later).
        const context = routingContextOf({
          surface: state.surface,
          user: state.profile,
          routing: routingFor(state.profile, this.deps.settings),
        });
        const view = await this.offers.view(state.key, effect, context);
        const sent = await this.execute(
          state,
          { type: 'send', content: { kind: 'card', view }, track: { slot: 'offer', id: effect.offerId } },
          failures,
        );
        if (view.showButton) return sent;
        return [
          ...sent,
          {
            type: 'offerHidden',
            offerId: effect.offerId,
            message: view.message,
            ...(view.hiddenReason ? { reason: view.hiddenReason } : {}),
          },
        ];
      }
      case 'deskOpen': {
        const { sessionId } = effect.request;
        const deadline = state.session?.phase === 'queued' ? state.session.deadline : this.deps.clock.now();
        // A desk that never answers must not hold the user (and their queue timeout) forever.
        const outcome = await attempt(
          () => this.deskCall(state.key, () => this.beforeDeadline(desk.openChat(effect.request), deadline)),
          (err) => logger.error({ ...log, err, sessionId }, 'desk could not open the chat'),
        );
        if (outcome === 'timeout') return [{ type: 'queueTimeout', sessionId }];
        return outcome === failed ? [{ type: 'deskOpenFailed', sessionId }] : [];
      }
      case 'deskSend': {
        const { files, refused } = await this.fetchUserFiles(state, effect.sessionId, effect.message.files ?? []);
        const followUps: InternalEvent[] = refused.map((r) => ({ type: 'fileRefused', sessionId: effect.sessionId, ...r }));
        const message = { ...effect.message, files: files.length > 0 ? files : undefined };
        if (!message.text.trim() && !message.files) return followUps;
        // The message carries its id (`messageId`), so a desk that sees it twice (a takeover after
        // a crash ran this effect again) can drop the copy.
        const outcome = await attempt(
          () => this.deskCall(state.key, () => desk.sendMessage(effect.sessionId, message)),
          (err) => logger.error({ ...log, err, sessionId: effect.sessionId }, 'desk did not take a user message'),
        );
        if (outcome === failed)
          followUps.push({ type: 'deskSendFailed', sessionId: effect.sessionId, messageId: effect.message.messageId });
        return followUps;
      }
      case 'deskTyping':
        await attempt(
          () => this.deskCall(state.key, async () => desk.sendTyping?.(effect.sessionId)),
          () => undefined,
        );
        return [];
      case 'deskEnd':
        await attempt(
          () => this.deskCall(state.key, () => desk.endChat(effect.sessionId, effect.reason)),
          (err) => logger.warn({ ...log, err, sessionId: effect.sessionId }, 'desk could not end the chat'),
        );
        return [];
      case 'releaseBroadcasts':
        for (const item of effect.items) {
          const message = await this.broadcastMessage(item.broadcastId);
          if (!message) continue;
          const content: OutboundContent = { kind: 'card', view: broadcastView(item.broadcastId, message) };
          await attempt(
            () => this.surface(state).update(state.address, item.ref, content),
            (err) => logger.warn({ ...log, err, broadcastId: item.broadcastId }, 'could not put the buttons back on a broadcast'),
          );
        }
        return [];
      case 'recordBroadcastAnswer': {
        const message = await this.broadcastMessage(effect.broadcastId);
        const action = message?.actions[effect.index];
        if (!message || !action || 'url' in action) return [];
        const answer = { index: effect.index, title: action.title, at: this.deps.clock.now() };
        await this.deps.store.set(broadcastKeys.answer(effect.broadcastId, state.key), answer, retentionMs(this.deps.settings));
        const source = effect.source;
        if (source) {
          const view = broadcastView(effect.broadcastId, message, { status: { text: `You answered: ${action.title}` } });
          await attempt(
            () => this.surface(state).update(state.address, source, { kind: 'card', view }),
            () => undefined,
          );
        }
        return [];
      }
      case 'startTimer':
        this.deps.armTimer(effect.sessionId, effect.at);
        return [];
      case 'cancelTimer':
        this.deps.cancelTimer(effect.sessionId);
        return [];
    }
  }

  async broadcastMessage(id: string): Promise<BroadcastMessage | undefined> {
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

  surface(state: Pick<Conversation, 'surface'>): Surface {
    const surface = this.deps.surfaces[state.surface];
    if (!surface) throw new BridgeError(ErrorCode.SurfaceUnavailable, `The ${state.surface} surface is not configured`);
    return surface;
  }

  /**
   * Call the desk on behalf of `key`'s running job, marked for `insideDeskCall` until the call
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

function isAgentContent(effect: Extract<Effect, { type: 'send' }>): boolean {
  const c = effect.content;
  return (c.kind === 'text' && c.from !== undefined) || (c.kind === 'card' && c.view.type === 'agentMessage');
}
