/**
 * No agent chat open: the user talks to the bot. A greeting is answered, a request for an agent
 * or anything the bot cannot help with gets an offer card, and while the details form is open a
 * typed description answers it. What is said here becomes the history an agent gets at handoff.
 */
import { disableCard, say, withNewOffer } from './card-updates';
import { appendHistory } from './history';
import { isAgentRequest, isGreeting, isStopPhrase } from './intents';
import { queueChat } from './session-request';
import type { Effect, MessageEvent, TransitionContext, TransitionResult } from './session-events';
import type { Conversation } from './session-state';

/** A user's message with no agent chat open (the session is none or `collecting`). */
export function onBotMessage(state: Conversation, event: MessageEvent, ctx: TransitionContext): TransitionResult {
  const m = ctx.settings.messages;
  const text = event.text.trim();
  const session = state.session;
  const stop = isStopPhrase(text, ctx.settings);
  // From here on the user is talking to the bot, so the exchange becomes handoff history.
  let next: Conversation = { ...state, history: appendHistory(state.history, { from: 'user', text, at: ctx.now }) };
  const effects: Effect[] = [];

  if (session?.phase === 'collecting') {
    if (stop) {
      next = { ...next, session: undefined };
      effects.push(...disableCard(session.details, { text: m.cardStatus.cancelled }), say(m.userCancelled));
      return { state: next, effects };
    }
    // Typing the problem instead of filling the form is an answer too, unless a topic is required.
    if (text && !session.details.view.topicRequired && !isAgentRequest(text, ctx.settings) && !isGreeting(text)) {
      return queueChat(next, { description: text }, ctx, session.details);
    }
    // Anything else (asking again included) points to the form on screen: no second offer.
    if (text) return botSays(next, m.formOpen, ctx, effects);
  }

  if (stop) return botSays(next, m.nothingToStop, ctx, effects);
  if (!text && event.files?.length) return botSays(next, m.filesOutsideChat, ctx, effects);
  if (isGreeting(text)) return botSays(next, m.greeting, ctx, effects);
  if (isAgentRequest(text, ctx.settings)) return offer(next, m.offer, ctx, effects);
  // The bot has no skill for this: it becomes the description an agent will see.
  if (text) next = { ...next, lastUtterance: { text, at: ctx.now } };
  return offer(next, `${m.cannotHelp} ${m.offer}`, ctx, effects);
}

function offer(state: Conversation, message: string, ctx: TransitionContext, effects: Effect[]): TransitionResult {
  const offerId = ctx.newId();
  // The previous offer stays clickable (Start uses whatever the user said last either way); it
  // is remembered so that Start on any of them retires them all.
  const next = withNewOffer(
    { ...state, history: appendHistory(state.history, { from: 'bot', text: message, at: ctx.now }) },
    { offerId, message },
  );
  // With the button hidden, "I can connect you" would contradict the reason shown under it.
  const unavailableMessage = ctx.settings.messages.offerUnavailable;
  return { state: next, effects: [...effects, { type: 'offer', offerId, message, unavailableMessage }] };
}

function botSays(state: Conversation, text: string, ctx: TransitionContext, effects: Effect[]): TransitionResult {
  return {
    state: { ...state, history: appendHistory(state.history, { from: 'bot', text, at: ctx.now }) },
    effects: [...effects, say(text)],
  };
}
