/**
 * What each effect does, one handler per effect type: sends and card updates to the user, the
 * offer card as policy decides it, desk calls, broadcast buttons, queue timers. A handler's
 * failure is logged and, where the core must know, answered with follow-up events (a card's ref,
 * `deskOpenFailed`, `deskSendFailed`, `fileRefused`) that the runner (`effects.ts`) applies at once.
 * A failure to deliver an agent's words is also collected in `failures`, for the desk's report.
 */
import { type BroadcastMessage, broadcastKeys, broadcastView } from './broadcast-message';
import { fillIn } from './card-updates';
import { retentionMs } from './conversations';
import { routingContextOf } from './desk-routing';
import type { EffectDeps } from './effects';
import { asBridgeError, type BridgeError } from './errors';
import type { FileRelay } from './file-relay';
import type { OfferView } from './offer-view';
import type { OutboundContent, Surface } from './ports';
import { routingFor } from './routing';
import type { Effect, InternalEvent } from './session-events';
import type { Conversation } from './session-state';

/** What handlers work with: the ports, and the runner's services. */
export interface EffectTools {
  readonly deps: EffectDeps;
  readonly offers: OfferView;
  readonly files: FileRelay;
  surface(state: Pick<Conversation, 'surface'>): Surface;
  /** A desk call made for `key`'s running job (see `EffectRunner.deskCall`). */
  deskCall<T>(key: string, call: () => Promise<T>): Promise<T>;
  /** Resolves with the promise's value, or 'timeout' once the clock passes `at`. */
  beforeDeadline<T>(work: Promise<T>, at: number): Promise<T | 'timeout'>;
  broadcastMessage(id: string): Promise<BroadcastMessage | undefined>;
}

type SendEffect = Extract<Effect, { type: 'send' }>;

export type EffectHandler<E extends Effect> = (
  tools: EffectTools,
  state: Conversation,
  effect: E,
  failures: BridgeError[],
) => Promise<InternalEvent[]>;

export type EffectHandlers = { [T in Effect['type']]: EffectHandler<Extract<Effect, { type: T }>> };

export const effectHandlers: EffectHandlers = {
  send: async (tools, state, effect, failures) => {
    const { logger } = tools.deps;
    const log = { key: state.key, effect: effect.type };
    try {
      const content = await tools.files.toUser(effect.content);
      const ref = await tools.surface(state).send(state.address, content);
      return effect.track ? [{ type: 'cardSent', slot: effect.track.slot, id: effect.track.id, ref }] : [];
    } catch (e) {
      const err = asBridgeError(e);
      logger.error({ ...log, err }, 'could not send to the user');
      if (isAgentContent(effect)) failures.push(err);
      return [];
    }
  },
  update: async (tools, state, effect) => {
    const { logger } = tools.deps;
    const log = { key: state.key, effect: effect.type };
    await attempt(
      () => tools.surface(state).update(state.address, effect.ref, effect.content),
      (err) => logger.warn({ ...log, err }, 'could not update an earlier card'),
    );
    return [];
  },
  userTyping: async (tools, state, effect) => {
    await attempt(
      async () => tools.surface(state).sendTyping?.(state.address, effect.agent),
      () => undefined,
    );
    return [];
  },
  offer: async (tools, state, effect, failures) => {
    // Asked of the desk this user's chat would go to (no topic yet: it is chosen later).
    const context = routingContextOf({
      surface: state.surface,
      user: state.profile,
      routing: routingFor(state.profile, tools.deps.settings),
    });
    const view = await tools.offers.view(state.key, effect, context);
    const card: SendEffect = { type: 'send', content: { kind: 'card', view }, track: { slot: 'offer', id: effect.offerId } };
    const sent = await effectHandlers.send(tools, state, card, failures);
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
  },
  deskOpen: async (tools, state, effect) => {
    const { desk, logger } = tools.deps;
    const log = { key: state.key, effect: effect.type };
    const { sessionId } = effect.request;
    const deadline = state.session?.phase === 'queued' ? state.session.deadline : tools.deps.clock.now();
    // A desk that never answers must not hold the user (and their queue timeout) forever.
    const outcome = await attempt(
      () => tools.deskCall(state.key, () => tools.beforeDeadline(desk.openChat(effect.request), deadline)),
      (err) => logger.error({ ...log, err, sessionId }, 'desk could not open the chat'),
    );
    if (outcome === 'timeout') return [{ type: 'queueTimeout', sessionId }];
    return outcome === failed ? [{ type: 'deskOpenFailed', sessionId }] : [];
  },
  deskSend: async (tools, state, effect) => {
    const { desk, logger } = tools.deps;
    const log = { key: state.key, effect: effect.type };
    const { files, refused } = await tools.files.fromUser(state, () => tools.surface(state), effect.sessionId, effect.message.files ?? []);
    const followUps: InternalEvent[] = refused.map((r) => ({ type: 'fileRefused', sessionId: effect.sessionId, ...r }));
    const message = { ...effect.message, files: files.length > 0 ? files : undefined };
    if (!message.text.trim() && !message.files) return followUps;
    // The message carries its id (`messageId`), so a desk that sees it twice (a takeover after
    // a crash ran this effect again) can drop the copy.
    const outcome = await attempt(
      () => tools.deskCall(state.key, () => desk.sendMessage(effect.sessionId, message)),
      (err) => logger.error({ ...log, err, sessionId: effect.sessionId }, 'desk did not take a user message'),
    );
    if (outcome === failed) followUps.push({ type: 'deskSendFailed', sessionId: effect.sessionId, messageId: effect.message.messageId });
    return followUps;
  },
  deskTyping: async (tools, state, effect) => {
    const { desk } = tools.deps;
    await attempt(
      () => tools.deskCall(state.key, async () => desk.sendTyping?.(effect.sessionId)),
      () => undefined,
    );
    return [];
  },
  deskEnd: async (tools, state, effect) => {
    const { desk, logger } = tools.deps;
    const log = { key: state.key, effect: effect.type };
    await attempt(
      () => tools.deskCall(state.key, () => desk.endChat(effect.sessionId, effect.reason)),
      (err) => logger.warn({ ...log, err, sessionId: effect.sessionId }, 'desk could not end the chat'),
    );
    return [];
  },
  releaseBroadcasts: async (tools, state, effect) => {
    const { logger } = tools.deps;
    const log = { key: state.key, effect: effect.type };
    for (const item of effect.items) {
      const message = await tools.broadcastMessage(item.broadcastId);
      if (!message) continue;
      const content: OutboundContent = { kind: 'card', view: broadcastView(item.broadcastId, message) };
      await attempt(
        () => tools.surface(state).update(state.address, item.ref, content),
        (err) => logger.warn({ ...log, err, broadcastId: item.broadcastId }, 'could not put the buttons back on a broadcast'),
      );
    }
    return [];
  },
  recordBroadcastAnswer: async (tools, state, effect) => {
    const message = await tools.broadcastMessage(effect.broadcastId);
    const action = message?.actions[effect.index];
    if (!message || !action || 'url' in action) return [];
    const answer = { index: effect.index, title: action.title, at: tools.deps.clock.now() };
    await tools.deps.store.set(broadcastKeys.answer(effect.broadcastId, state.key), answer, retentionMs(tools.deps.settings));
    const source = effect.source;
    if (source) {
      const view = broadcastView(effect.broadcastId, message, {
        status: { text: fillIn(tools.deps.settings.messages.cardStatus.answered, { answer: action.title }) },
      });
      await attempt(
        () => tools.surface(state).update(state.address, source, { kind: 'card', view }),
        () => undefined,
      );
    }
    return [];
  },
  startTimer: async (tools, _state, effect) => {
    tools.deps.armTimer(effect.sessionId, effect.at);
    return [];
  },
  cancelTimer: async (tools, _state, effect) => {
    tools.deps.cancelTimer(effect.sessionId);
    return [];
  },
};

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

function isAgentContent(effect: SendEffect): boolean {
  const c = effect.content;
  return (c.kind === 'text' && c.from !== undefined) || (c.kind === 'card' && c.view.type === 'agentMessage');
}
