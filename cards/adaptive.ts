/**
 * Renders the core's neutral card views as Adaptive Cards (schema 1.5: the newest Teams draws).
 *
 * The templates in `templates/` hold the layout; this file only computes their data. User and
 * agent text travels in the data and is never spliced into a template, so a message containing
 * `${...}` is shown as typed, not evaluated as an expression.
 *
 * "Disabling" a card is done by re-rendering the view with a `status` and updating the sent
 * message: the templates then drop every action and input and show the status line instead.
 */
import { Template } from 'adaptivecards-templating';
import type { AgentMessageView, BroadcastView, CardView, DetailsView, OfferView, WaitingView } from '../bots/core/ports';
import { broadcastActionPayload, cancelPayload, startChatPayload, submitDetailsPayload } from './actions';
import { defaultCardLabels, formatEstimatedWait, type CardLabels } from './labels';
import { viewFallbackText } from './view-text';
import offerTemplate from './templates/offer.json';
import detailsTemplate from './templates/details.json';
import waitingTemplate from './templates/waiting.json';
import agentMessageTemplate from './templates/agent-message.json';
import broadcastTemplate from './templates/broadcast.json';

/** The Adaptive Card content type, for surfaces that wrap cards in attachments. */
export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/** An Adaptive Card as JSON. Kept loose on purpose: the templates are the source of truth. */
export type AdaptiveCardJson = { type: 'AdaptiveCard'; version: string; [key: string]: unknown };

export interface RenderOptions {
  labels?: CardLabels;
  /** Off when agents must stay anonymous or their avatar URLs are not reachable by users. */
  showAvatars?: boolean;
}

// Parsed once: Template keeps its own copy of the JSON and expand() does not mutate it.
const templates = {
  offer: new Template(offerTemplate),
  details: new Template(detailsTemplate),
  waiting: new Template(waitingTemplate),
  agentMessage: new Template(agentMessageTemplate),
  broadcast: new Template(broadcastTemplate),
};

export function renderAdaptiveCard(view: CardView, options: RenderOptions = {}): AdaptiveCardJson {
  const labels = options.labels ?? defaultCardLabels;
  const fallbackText = viewFallbackText(view, labels);
  switch (view.type) {
    case 'offer':
      return expand(templates.offer, { ...offerData(view), labels, fallbackText });
    case 'details':
      return expand(templates.details, { ...detailsData(view), labels, fallbackText });
    case 'waiting':
      return expand(templates.waiting, { ...waitingData(view, labels), labels, fallbackText });
    case 'agentMessage':
      return expand(templates.agentMessage, { ...agentMessageData(view, options), fallbackText });
    case 'broadcast':
      return withBroadcastActions(expand(templates.broadcast, { ...broadcastData(view), fallbackText }), view);
    default:
      return assertNever(view);
  }
}

function offerData(view: OfferView) {
  const open = !view.status;
  const hidden = !view.showButton;
  return {
    message: view.message,
    showReason: hidden && !!view.hiddenReason,
    reason: view.hiddenReason ?? '',
    showStatus: !open,
    status: view.status?.text ?? '',
    showStart: open && view.showButton,
    startData: startChatPayload(view.offerId),
    showFallback: open && hidden && !!view.fallback,
    fallbackLabel: view.fallback?.label ?? '',
    fallbackUrl: view.fallback?.url ?? '',
  };
}

function detailsData(view: DetailsView) {
  const open = !view.status;
  return {
    prompt: view.prompt,
    // A submitted (or expired) form shows no inputs: they could be edited but never sent.
    showInputs: open,
    // A topic-only form: the problem is already described, so only the topic is asked.
    showDescription: open && !(view.topicOnly && view.topics.length > 0),
    showTopics: open && view.topics.length > 0,
    topicRequired: view.topicRequired && view.topics.length > 0,
    topics: view.topics.map((t) => ({ id: t.id, label: t.label })),
    showStatus: !open,
    status: view.status?.text ?? '',
    submitData: submitDetailsPayload(view.offerId),
  };
}

function waitingData(view: WaitingView, labels: CardLabels) {
  const open = !view.status;
  return {
    title: view.title,
    showWaiting: open,
    showEstimate: open && view.estimatedWaitSeconds !== undefined,
    estimate: view.estimatedWaitSeconds === undefined ? '' : formatEstimatedWait(labels, view.estimatedWaitSeconds),
    showStatus: !open,
    status: view.status?.text ?? '',
    showCancel: open,
    cancelData: cancelPayload(view.sessionId),
  };
}

function agentMessageData(view: AgentMessageView, options: RenderOptions) {
  const avatarUrl = view.agent.avatarUrl;
  return {
    // Teams only loads card images over HTTPS; an http:// avatar would draw a broken image.
    showAvatar: (options.showAvatars ?? true) && !!avatarUrl && /^https:\/\//i.test(avatarUrl),
    avatarUrl: avatarUrl ?? '',
    agentName: view.agent.name,
    text: view.text,
  };
}

function broadcastData(view: BroadcastView) {
  const facts = view.facts ?? [];
  return {
    title: view.title,
    text: view.text,
    showImage: !!view.imageUrl && /^https:\/\//i.test(view.imageUrl),
    imageUrl: view.imageUrl ?? '',
    showFacts: facts.length > 0,
    facts,
    showNote: !view.status && !!view.disabledNote && view.actions.length > 0,
    note: view.disabledNote ?? '',
    showStatus: !!view.status,
    status: view.status?.text ?? '',
  };
}

/**
 * A broadcast's buttons mix kinds (links and answers) in the sender's order, which a template
 * cannot express; they are built here from data and appended, so nothing in them is evaluated.
 * During an agent chat (`disabledNote`) or once answered (`status`) there are none.
 */
function withBroadcastActions(card: AdaptiveCardJson, view: BroadcastView): AdaptiveCardJson {
  if (view.disabledNote || view.status || view.actions.length === 0) return card;
  card.actions = view.actions.map((a) =>
    a.kind === 'url'
      ? { type: 'Action.OpenUrl', title: a.title, url: a.url }
      : { type: 'Action.Submit', title: a.title, data: broadcastActionPayload(view.broadcastId, a.index) },
  );
  return card;
}

function expand(template: Template, data: object): AdaptiveCardJson {
  const card = template.expand({ $root: data }) as AdaptiveCardJson;
  // `$when` leaves an empty array behind; a card with no buttons should have no `actions` at all.
  if (Array.isArray(card.actions) && card.actions.length === 0) delete card.actions;
  return card;
}

function assertNever(view: never): never {
  throw new Error(`unknown card view: ${JSON.stringify(view)}`);
}
