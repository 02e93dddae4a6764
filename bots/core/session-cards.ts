/**
 * The broker's reports about cards and broadcasts it sent: the platform's ref of a tracked card
 * (so its buttons can be disabled later), the wording an offer showed when policy hid its button,
 * and a broadcast that arrived during a chat (its buttons held until the chat ends).
 */
import type { InternalEvent, TransitionResult } from './session-events';
import type { Conversation } from './session-state';

export function onCardFollowUp(
  state: Conversation,
  event: Extract<InternalEvent, { type: 'cardSent' | 'offerHidden' | 'broadcastDelivered' }>,
): TransitionResult {
  switch (event.type) {
    case 'cardSent':
      return { state: recordRef(state, event), effects: [] };
    case 'offerHidden':
      return { state: withHiddenOffer(state, event), effects: [] };
    case 'broadcastDelivered': {
      // Delivered during a chat that has ended meanwhile (or held for none): restore at once.
      if (!event.held) return { state, effects: [] };
      const inChat = state.session?.phase === 'queued' || state.session?.phase === 'live';
      if (!inChat) return { state, effects: [{ type: 'releaseBroadcasts', items: [{ broadcastId: event.broadcastId, ref: event.ref }] }] };
      const held = [...(state.heldBroadcasts ?? []), { broadcastId: event.broadcastId, ref: event.ref }];
      return { state: { ...state, heldBroadcasts: held }, effects: [] };
    }
  }
}

/** The history (what the agent may see later) and the card say what the user read, not "I can connect you". */
function withHiddenOffer(state: Conversation, event: Extract<InternalEvent, { type: 'offerHidden' }>): Conversation {
  const latest = state.offer;
  if (latest?.view.offerId !== event.offerId) return state;
  const said = [event.message, event.reason].filter(Boolean).join(' ');
  const at = state.history.map((h) => h.from === 'bot' && h.text === latest.view.message).lastIndexOf(true);
  const history = at < 0 ? state.history : state.history.map((h, i) => (i === at ? { ...h, text: said } : h));
  return { ...state, history, offer: { ...latest, view: { ...latest.view, message: event.message } } };
}

function recordRef(state: Conversation, event: Extract<InternalEvent, { type: 'cardSent' }>): Conversation {
  const s = state.session;
  switch (event.slot) {
    case 'offer':
      return state.offer?.view.offerId === event.id ? { ...state, offer: { ...state.offer, ref: event.ref } } : state;
    case 'details':
      return s?.phase === 'collecting' && s.offerId === event.id
        ? { ...state, session: { ...s, details: { ...s.details, ref: event.ref } } }
        : state;
    case 'waiting':
      return (s?.phase === 'queued' || s?.phase === 'live') && s.sessionId === event.id
        ? { ...state, session: { ...s, waiting: { ...s.waiting, ref: event.ref } } }
        : state;
  }
}
