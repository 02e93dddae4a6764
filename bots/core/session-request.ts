/**
 * From an offer to a queued chat: the Start button (the details form, or straight to the queue
 * when the problem is already described), the form's submission, and `queueChat`, which opens
 * the chat at the desk and shows the waiting card.
 */
import { detailsView, disableCard, fillIn, retireOffers, say, staleDetailsView, updateStatus } from './card-updates';
import { historyForDesk } from './history';
import { routingFor } from './routing';
import type { UserEvent } from './events';
import type { DetailsView, WaitingView } from './ports';
import type { Effect, TransitionContext, TransitionResult } from './session-events';
import type { ChatRequestSummary, Conversation, TrackedCard } from './session-state';

/** How long a problem description stays "already said" for a Start click. */
export const DESCRIPTION_FRESH_MS = 60 * 60 * 1000;

export function onStartChat(
  state: Conversation,
  event: Extract<UserEvent, { type: 'startChat' }>,
  ctx: TransitionContext,
): TransitionResult {
  const m = ctx.settings.messages;
  const session = state.session;
  if (session?.phase === 'queued' || session?.phase === 'live') {
    return { state, effects: [say(m.alreadyOpen)] };
  }
  // Every offer card (the clicked one, the latest, the earlier ones) has done its job.
  const retired = retireOffers(state, { text: m.cardStatus.requested }, { offerId: event.offerId, ref: event.source });
  if (session?.phase === 'collecting') {
    // The form is already on screen; a second click must not stack another one.
    return { state: retired.state, effects: [...retired.effects, say(m.formOpen)] };
  }
  const effects = retired.effects;
  let next = retired.state;

  const lastSaid = state.lastUtterance;
  // What the user said last, when it is fresh enough to stand as the chat's description.
  const description = lastSaid?.text.trim() && ctx.now - lastSaid.at < DESCRIPTION_FRESH_MS ? lastSaid.text : undefined;
  const described = description !== undefined;
  // A required topic is still asked for when the problem is known: only the topic, then queue.
  if (described && ctx.settings.topics.length === 0) {
    const result = queueChat(next, { description }, ctx);
    return { state: result.state, effects: [...effects, ...result.effects] };
  }
  const offerId = event.offerId;
  const view = detailsView(offerId, ctx.settings, { topicOnly: described });
  next = {
    ...next,
    session: { phase: 'collecting', offerId, details: { view }, startedAt: ctx.now, ...(described ? { description } : {}) },
  };
  effects.push({ type: 'send', content: { kind: 'card', view }, track: { slot: 'details', id: offerId } });
  return { state: next, effects };
}

export function onSubmitDetails(
  state: Conversation,
  event: Extract<UserEvent, { type: 'submitDetails' }>,
  ctx: TransitionContext,
): TransitionResult {
  const m = ctx.settings.messages;
  const session = state.session;
  if (session?.phase === 'queued' || session?.phase === 'live') {
    return { state, effects: [say(m.alreadyOpen)] };
  }
  if (session?.phase !== 'collecting' || session.offerId !== event.offerId) {
    const effects: Effect[] = [say(m.staleCard)];
    if (event.source)
      effects.unshift(updateStatus(event.source, staleDetailsView(event.offerId, ctx.settings), { text: m.cardStatus.noLongerActive }));
    return { state, effects };
  }
  // A topic-only form has no description field: the problem the user described before stands.
  const description = event.description.trim() || session.description?.trim() || '';
  const topic = ctx.settings.topics.find((t) => t.id === event.topicId);
  // Cards validate on the client, but a client can send anything: check again here.
  if (!description) return { state, effects: [say(m.descriptionMissing)] };
  if (session.details.view.topicRequired && !topic) return { state, effects: [say(m.topicMissing)] };
  const details = event.source && !session.details.ref ? { ...session.details, ref: event.source } : session.details;
  return queueChat(state, { description, topic }, ctx, details);
}

export function queueChat(
  state: Conversation,
  input: { description: string; topic?: { id: string; label: string } },
  ctx: TransitionContext,
  details?: TrackedCard<DetailsView>,
): TransitionResult {
  const sessionId = ctx.newId();
  const firstLine =
    input.description
      .split(/\r?\n/)
      .find((l) => l.trim())
      ?.trim() ?? input.description;
  const request: ChatRequestSummary = {
    title: firstLine.length > 120 ? `${firstLine.slice(0, 117)}...` : firstLine,
    ...(input.topic ? { topic: input.topic } : {}),
  };
  const waitingView: WaitingView = { type: 'waiting', sessionId, title: request.title };
  const deadline = ctx.now + ctx.settings.queueTimeoutSeconds * 1000;
  const effects: Effect[] = [];
  if (details) {
    const status = ctx.settings.messages.cardStatus;
    effects.push(...disableCard(details, { text: input.topic ? fillIn(status.sentWithTopic, { topic: input.topic.label }) : status.sent }));
  }
  effects.push(
    { type: 'send', content: { kind: 'card', view: waitingView }, track: { slot: 'waiting', id: sessionId } },
    { type: 'startTimer', sessionId, at: deadline },
    {
      type: 'deskOpen',
      request: {
        sessionId,
        surface: state.surface,
        user: state.profile,
        title: request.title,
        details: input.description,
        topic: request.topic,
        routing: routingFor(state.profile, ctx.settings),
        ...historyForDesk(state.history, ctx.settings.history),
      },
    },
  );
  const next: Conversation = {
    ...state,
    // The history went to the desk with the request; during and after this chat the bot starts
    // a new one (what was said before is the agent's to know, not the next agent's).
    history: [],
    lastUtterance: undefined,
    session: {
      phase: 'queued',
      sessionId,
      request,
      waiting: {},
      queuedNoticeSent: false,
      deadline,
      startedAt: ctx.now,
    },
  };
  return { state: next, effects };
}
