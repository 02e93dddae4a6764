/**
 * The cards of the handoff flow (offers, the details form, the waiting card) and how they are
 * retired: once a card no longer applies, the message is re-rendered with a status line in place
 * of its buttons. The session keeps the refs of the cards still live; these helpers turn them
 * into `update` effects.
 */
import type { CardStatus, DetailsView, OfferView, SentRef, WaitingView } from './ports';
import type { CoreSettings } from './settings';
import type { Effect } from './session-events';
import type { Conversation, OpenSession, TrackedCard } from './session-state';

/** Earlier offers whose Start button is still live, at most this many (older ones are forgotten). */
export const MAX_EARLIER_OFFERS = 10;

export function say(text: string): Effect {
  return { type: 'send', content: { kind: 'text', text } };
}

/** Re-render a sent card with a status line in place of its buttons. */
export function updateStatus(ref: SentRef, view: OfferView | DetailsView | WaitingView, status: CardStatus): Effect {
  return { type: 'update', ref, content: { kind: 'card', view: { ...view, status } } };
}

export function disableCard<V extends DetailsView | WaitingView>(card: TrackedCard<V>, status: CardStatus): Effect[] {
  return card.ref ? [updateStatus(card.ref, card.view, status)] : [];
}

/** `{name}` placeholders in configured wording. */
export function fillIn(template: string, values: Record<string, string>): string {
  return Object.entries(values).reduce((text, [name, value]) => text.split(`{${name}}`).join(value), template);
}

/**
 * Every offer card the state still knows about (the latest, the earlier ones, and the one just
 * clicked) gets `status`; the state forgets them. An older offer's wording is not kept: its card
 * shows only the status line.
 */
export function retireOffers(
  state: Conversation,
  status: CardStatus,
  clicked?: { offerId: string; ref?: SentRef },
): { state: Conversation; effects: Effect[] } {
  const latest = state.offer;
  const cards: { offerId: string; ref: SentRef }[] = [];
  const add = (offerId: string, ref: SentRef | undefined) => {
    if (ref && !cards.some((c) => sameRef(c.ref, ref))) cards.push({ offerId, ref });
  };
  if (clicked) add(clicked.offerId, clicked.ref);
  if (latest) add(latest.view.offerId, latest.ref);
  for (const earlier of state.earlierOffers ?? []) add(earlier.offerId, earlier.ref);
  const effects = cards.map((c) => {
    const view: OfferView = {
      type: 'offer',
      offerId: c.offerId,
      message: latest?.view.offerId === c.offerId ? latest.view.message : '',
      showButton: false,
    };
    return updateStatus(c.ref, view, status);
  });
  if (!latest && !state.earlierOffers) return { state, effects };
  return { state: { ...state, offer: undefined, earlierOffers: undefined }, effects };
}

/** A new offer becomes the latest; the previous one stays live (Start works on either) and is remembered. */
export function withNewOffer(state: Conversation, offer: { offerId: string; message: string }): Conversation {
  const previous = state.offer;
  const earlier = previous?.ref
    ? [...(state.earlierOffers ?? []), { offerId: previous.view.offerId, ref: previous.ref }].slice(-MAX_EARLIER_OFFERS)
    : state.earlierOffers;
  return { ...state, offer: { view: offer }, ...(earlier ? { earlierOffers: earlier } : {}) };
}

/** The waiting card of a session, its view rebuilt from the session. */
export function waitingCard(session: OpenSession): TrackedCard<WaitingView> {
  const { ref, estimatedWaitSeconds } = session.waiting;
  const view: WaitingView = {
    type: 'waiting',
    sessionId: session.sessionId,
    title: session.request.title,
    ...(estimatedWaitSeconds !== undefined ? { estimatedWaitSeconds } : {}),
  };
  return ref ? { view, ref } : { view };
}

/**
 * The details form for an offer; surfaces that reopen it (Slack's "Add details") use it too.
 * `topicOnly`: the problem is already described, so the form asks only for the (required) topic.
 */
export function detailsView(
  offerId: string,
  settings: Pick<CoreSettings, 'messages' | 'topics'>,
  options: { topicOnly?: boolean } = {},
): DetailsView {
  const topicOnly = options.topicOnly === true && settings.topics.length > 0;
  return {
    type: 'details',
    offerId,
    prompt: topicOnly ? settings.messages.topicPrompt : settings.messages.detailsPrompt,
    topics: settings.topics,
    topicRequired: settings.topics.length > 0,
    ...(topicOnly ? { topicOnly: true } : {}),
  };
}

/** A stale form, re-rendered only to show its status: no topics needed. */
export function staleDetailsView(offerId: string, settings: Pick<CoreSettings, 'messages'>): DetailsView {
  return { type: 'details', offerId, prompt: settings.messages.detailsPrompt, topics: [], topicRequired: false };
}

export function sameRef(a: SentRef, b: SentRef | undefined): boolean {
  return b !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
