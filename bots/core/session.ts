/**
 * The session life cycle as a pure function: `transition(state, event, ctx) -> { state, effects }`.
 *
 * One `Conversation` exists per user per surface (sessions are bot-scoped). It holds what the
 * bot knows of the user (address, profile, recent history, last utterance) and the current agent
 * session, if any, in one of three phases:
 *
 *   (none) --startChat, no description--> collecting --submitDetails--> queued
 *   (none) --startChat, description known, topics configured--> collecting (topic only) --submitDetails--> queued
 *   (none) --startChat, description known, no topics-----------------> queued
 *   queued --agentJoined / agentMessage--> live
 *   queued|live --stop phrase / cancel / agent ended / timeout / desk error--> (none)
 *
 * This file only routes an event to the phase it concerns; each phase is a module of its own:
 *   - talking to the bot, offers (none, and typing while the form is open): `session-idle.ts`
 *   - the Start button, the details form, queueing the chat: `session-request.ts`
 *   - queued and live, the desk's events, the broker's follow-ups for the chat: `session-chat.ts`
 *   - the refs and wording of cards the broker sent: `session-cards.ts`
 * The data they work on is in `session-state.ts`, the events and effects in `session-events.ts`.
 *
 * Nothing here does I/O: effects describe what the broker must do, in order.
 */
import { fillIn, say } from './card-updates';
import type { UserEvent } from './events';
import { onCardFollowUp } from './session-cards';
import { onCancel, onChatFollowUp, onChatMessage, onDeskEvent } from './session-chat';
import type { CoreEvent, InternalEvent, MessageEvent, TransitionContext, TransitionResult } from './session-events';
import { onBotMessage } from './session-idle';
import { onStartChat, onSubmitDetails } from './session-request';
import type { Conversation } from './session-state';

// The pieces of the core's model, exported from here for callers of the core.
export { detailsView, waitingCard } from './card-updates';
export { screenFiles } from './file-screening';
export { isAgentRequest, isStopPhrase } from './intents';
export { routingFor } from './routing';
export type { CardSlot, CoreEvent, Effect, InternalEvent, TransitionContext, TransitionResult } from './session-events';
export { DESCRIPTION_FRESH_MS } from './session-request';
export type { ChatRequestSummary, Conversation, OpenSession, Session, TrackedCard, WaitingCard } from './session-state';
export { newConversation } from './session-state';

export function transition(state: Conversation, input: CoreEvent, ctx: TransitionContext): TransitionResult {
  switch (input.source) {
    case 'user':
      return onUserEvent(refreshUser(state, input.event), input.event, ctx);
    case 'desk':
      return onDeskEvent(state, input.event, ctx);
    case 'internal':
      return onInternalEvent(state, input.event, ctx);
  }
}

/** Addresses and names can change between messages (Teams serviceUrl is regional). */
function refreshUser(state: Conversation, event: UserEvent): Conversation {
  const profile = { ...state.profile, ...event.user.profile };
  // Same object when nothing changed, so the broker can skip a store write on the relay path.
  if (sameJson(state.address, event.user.address) && sameJson(state.profile, profile)) return state;
  return { ...state, address: event.user.address, profile };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function onUserEvent(state: Conversation, event: UserEvent, ctx: TransitionContext): TransitionResult {
  switch (event.type) {
    case 'message':
      return onUserMessage(state, event, ctx);
    case 'startChat':
      return onStartChat(state, event, ctx);
    case 'submitDetails':
      return onSubmitDetails(state, event, ctx);
    case 'cancel':
      return onCancel(state, event.sessionId, event.source, ctx);
    case 'typing':
      return state.session?.phase === 'live'
        ? { state, effects: [{ type: 'deskTyping', sessionId: state.session.sessionId }] }
        : { state, effects: [] };
    case 'broadcastAction':
      // Buttons are hidden during a chat; a click that still arrives (an old client) must not
      // interrupt the agent conversation with bot chatter, so it is recorded silently.
      return {
        state,
        effects: [{ type: 'recordBroadcastAnswer', broadcastId: event.broadcastId, index: event.index, source: event.source }],
      };
  }
}

function onUserMessage(state: Conversation, event: MessageEvent, ctx: TransitionContext): TransitionResult {
  // Too long for any surface: neither relayed nor kept (history, description), and the user knows.
  if (event.text.length > ctx.settings.maxMessageChars) {
    const max = ctx.settings.maxMessageChars.toLocaleString('en-US');
    return { state, effects: [say(fillIn(ctx.settings.messages.tooLong, { max }))] };
  }
  const session = state.session;
  if (session?.phase === 'queued' || session?.phase === 'live') return onChatMessage(state, session, event, ctx);
  return onBotMessage(state, event, ctx);
}

function onInternalEvent(state: Conversation, event: InternalEvent, ctx: TransitionContext): TransitionResult {
  switch (event.type) {
    case 'cardSent':
    case 'offerHidden':
    case 'broadcastDelivered':
      return onCardFollowUp(state, event);
    case 'queueTimeout':
    case 'deskOpenFailed':
    case 'fileRefused':
    case 'deskSendFailed':
      return onChatFollowUp(state, event, ctx);
  }
}
