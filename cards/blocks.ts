/**
 * Renders the core's neutral card views as Slack Block Kit: the same views the Adaptive Card
 * renderer draws for Teams, so both platforms say the same things with the same buttons. Pure:
 * no Slack calls, no I/O.
 *
 * Two Slack-specific shapes:
 * - The details form is a modal (`renderDetailsModal`); in a message the details view is a prompt
 *   with an "Add details" button that opens that modal.
 * - Slack buttons have no disabled state (`disabled` is rejected as `invalid_blocks`), so a view
 *   with a `status` is rendered without its actions and with a context line saying what happened;
 *   the surface replaces the sent message with it (`chat.update`).
 *
 * Core wording (offer message, prompt, status) is plain text and goes out as `plain_text`, so a
 * stray `*` or `<` in it is shown as typed. Only agent text is mrkdwn, converted by the caller.
 */
import type { types } from '@slack/bolt';
import type { AgentMessageView, BroadcastView, CardView, DetailsView, OfferView, WaitingView } from '../bots/core/ports';
import { broadcastActionPayload, cancelPayload, DetailsInput, encodeCardAction, startChatPayload, submitDetailsPayload } from './actions';
import { type CardLabels, defaultCardLabels, defaultSlackCardLabels, formatEstimatedWait, type SlackCardLabels } from './labels';

export { defaultSlackCardLabels, type SlackCardLabels };
import { viewFallbackText } from './view-text';

export type Block = types.KnownBlock;
export type ModalView = types.ModalView;

/** `action_id`s of our buttons. Their `value` is the shared payload (see actions.ts). */
export const BlockActionId = {
  startChat: 'lab_start_chat',
  /** Opens the details modal (its value is the submitDetails payload of the offer). */
  addDetails: 'lab_add_details',
  /** Opens the topic-only modal (the problem is already described); same value as addDetails. */
  addTopic: 'lab_add_topic',
  cancel: 'lab_cancel',
  /** A link button: Slack still reports the click, which must be acknowledged. */
  link: 'lab_link',
  /** An answer button on a broadcast; the index is in the value. */
  broadcastAnswer: 'lab_broadcast',
} as const;

/** The details modal's `callback_id`; its inputs use the ids in `DetailsInput` as block and action ids. */
export const DETAILS_MODAL_CALLBACK_ID = 'lab_details';

export interface BlockRenderOptions {
  labels?: CardLabels;
  slackLabels?: SlackCardLabels;
  /** Off when agents must stay anonymous or their avatar URLs are not reachable by users. */
  showAvatars?: boolean;
  /** Agent text (markdown) → mrkdwn. Without it, agent text is only escaped. */
  markdown?: (markdown: string) => string;
}

/** A message: `text` is what notifications and screen readers show; `blocks` what Slack draws. */
export interface BlockMessage {
  text: string;
  blocks: Block[];
}

// Slack's limits (Block Kit reference): exceeding them fails the whole message with invalid_blocks.
const MAX_SECTION_TEXT = 3000;
const MAX_CONTEXT_TEXT = 2000;
const MAX_BUTTON_TEXT = 75;
const MAX_MODAL_TEXT = 24;
const MAX_PLACEHOLDER = 150;
const MAX_OPTION_TEXT = 75;
const MAX_OPTIONS = 100;
const MAX_FALLBACK_TEXT = 3000;
/** Slack's own cap for plain_text_input. */
export const SLACK_DESCRIPTION_MAX_LENGTH = 3000;

export function renderBlocks(view: CardView, options: BlockRenderOptions = {}): BlockMessage {
  const labels = options.labels ?? defaultCardLabels;
  const text = clip(viewFallbackText(view, labels), MAX_FALLBACK_TEXT) || ' ';
  switch (view.type) {
    case 'offer':
      return { text, blocks: offerBlocks(view, labels) };
    case 'details':
      return { text, blocks: detailsBlocks(view, options.slackLabels ?? defaultSlackCardLabels) };
    case 'waiting':
      return { text, blocks: waitingBlocks(view, labels) };
    case 'agentMessage':
      return { text: clip(`${view.agent.name}: ${view.text}`, MAX_FALLBACK_TEXT), blocks: agentMessageBlocks(view, options) };
    case 'broadcast':
      return { text, blocks: broadcastBlocks(view) };
    default:
      return assertNever(view);
  }
}

function offerBlocks(view: OfferView, labels: CardLabels): Block[] {
  const open = !view.status;
  const blocks: Block[] = [];
  if (view.message.trim()) blocks.push(section(view.message));
  if (!view.showButton && view.hiddenReason) blocks.push(context(view.hiddenReason));
  if (open && view.showButton) {
    blocks.push(actions([button(labels.startChat, BlockActionId.startChat, encodeCardAction(startChatPayload(view.offerId)), 'primary')]));
  }
  if (open && !view.showButton && view.fallback) {
    blocks.push(actions([{ ...button(view.fallback.label, BlockActionId.link), url: view.fallback.url }]));
  }
  if (view.status) blocks.push(statusLine(view.status.text));
  return blocks;
}

function detailsBlocks(view: DetailsView, slackLabels: SlackCardLabels): Block[] {
  const blocks: Block[] = [section(view.prompt)];
  if (!view.status) {
    const [label, actionId] = isTopicOnly(view)
      ? [slackLabels.addTopic, BlockActionId.addTopic]
      : [slackLabels.addDetails, BlockActionId.addDetails];
    blocks.push(actions([button(label, actionId, encodeCardAction(submitDetailsPayload(view.offerId)), 'primary')]));
  } else {
    blocks.push(statusLine(view.status.text));
  }
  return blocks;
}

function waitingBlocks(view: WaitingView, labels: CardLabels): Block[] {
  const blocks: Block[] = [];
  if (view.title.trim()) blocks.push(section(view.title));
  if (!view.status) {
    const estimate = view.estimatedWaitSeconds === undefined ? '' : ` ${formatEstimatedWait(labels, view.estimatedWaitSeconds)}`;
    blocks.push(context(`${labels.waiting}${estimate}`));
    blocks.push(actions([button(labels.cancel, BlockActionId.cancel, encodeCardAction(cancelPayload(view.sessionId)))]));
  } else {
    blocks.push(statusLine(view.status.text));
  }
  return blocks;
}

function agentMessageBlocks(view: AgentMessageView, options: BlockRenderOptions): Block[] {
  const avatar = view.agent.avatarUrl;
  const header: types.ContextBlockElement[] = [];
  // Slack fetches the image itself: it must be a public HTTPS URL.
  if ((options.showAvatars ?? true) && avatar && /^https:\/\//i.test(avatar)) {
    header.push({ type: 'image', image_url: avatar, alt_text: view.agent.name });
  }
  header.push({ type: 'plain_text', text: clip(view.agent.name, MAX_CONTEXT_TEXT), emoji: true });
  const body = options.markdown ? options.markdown(view.text) : escapeText(view.text);
  return [
    { type: 'context', elements: header },
    { type: 'section', text: { type: 'mrkdwn', text: clip(body, MAX_SECTION_TEXT) || ' ' } },
  ];
}

function broadcastBlocks(view: BroadcastView): Block[] {
  const blocks: Block[] = [{ type: 'header', text: plain(view.title, 150) }];
  const body: Block = { type: 'section', text: plain(view.text, MAX_SECTION_TEXT) };
  // Slack fetches the image itself: it must be a public HTTPS URL.
  if (view.imageUrl && /^https:\/\//i.test(view.imageUrl)) {
    blocks.push(body, { type: 'image', image_url: view.imageUrl, alt_text: clip(view.title, 2000) });
  } else {
    blocks.push(body);
  }
  const facts = (view.facts ?? []).slice(0, 10);
  if (facts.length > 0) {
    blocks.push({ type: 'section', fields: facts.map((f) => plain(`${f.title}: ${f.value}`, 2000)) });
  }
  if (view.status) {
    blocks.push(statusLine(view.status.text));
  } else if (view.disabledNote && view.actions.length > 0) {
    blocks.push(context(view.disabledNote));
  } else if (view.actions.length > 0) {
    // Buttons in the sender's order; action_ids must be unique within the block.
    const buttons = view.actions
      .slice(0, 25)
      .map((a, i) =>
        a.kind === 'url'
          ? { ...button(a.title, `${BlockActionId.link}_${i}`), url: a.url }
          : button(a.title, `${BlockActionId.broadcastAnswer}_${i}`, encodeCardAction(broadcastActionPayload(view.broadcastId, a.index))),
      );
    blocks.push(actions(buttons));
  }
  return blocks;
}

/**
 * The details form as a modal. `privateMetadata` comes back with the submission (at most 3000
 * characters); the surface puts in it what it needs to route the answer.
 */
export function renderDetailsModal(view: DetailsView, privateMetadata: string, options: BlockRenderOptions = {}): ModalView {
  const labels = options.labels ?? defaultCardLabels;
  const slackLabels = options.slackLabels ?? defaultSlackCardLabels;
  const blocks: Block[] = [section(view.prompt)];
  // A topic-only form: the problem is already described, so only the topic is asked.
  if (!isTopicOnly(view)) {
    blocks.push({
      type: 'input',
      block_id: DetailsInput.description,
      label: plain(labels.descriptionLabel, MAX_CONTEXT_TEXT),
      element: {
        type: 'plain_text_input',
        action_id: DetailsInput.description,
        multiline: true,
        max_length: SLACK_DESCRIPTION_MAX_LENGTH,
        placeholder: plain(labels.descriptionPlaceholder, MAX_PLACEHOLDER),
      },
    });
  }
  const topics = view.topics.slice(0, MAX_OPTIONS);
  if (topics.length > 0) {
    blocks.push({
      type: 'input',
      block_id: DetailsInput.topic,
      optional: !view.topicRequired,
      label: plain(labels.topicLabel, MAX_CONTEXT_TEXT),
      element: {
        type: 'static_select',
        action_id: DetailsInput.topic,
        placeholder: plain(labels.topicPlaceholder, MAX_PLACEHOLDER),
        options: topics.map((t) => ({ text: plain(t.label, MAX_OPTION_TEXT), value: t.id })),
      },
    });
  }
  return {
    type: 'modal',
    callback_id: DETAILS_MODAL_CALLBACK_ID,
    private_metadata: privateMetadata,
    title: plain(slackLabels.modalTitle, MAX_MODAL_TEXT),
    submit: plain(labels.submitDetails, MAX_MODAL_TEXT),
    close: plain(labels.cancel, MAX_MODAL_TEXT),
    blocks,
  };
}

function isTopicOnly(view: DetailsView): boolean {
  return view.topicOnly === true && view.topics.length > 0;
}

function section(text: string): Block {
  return { type: 'section', text: plain(text, MAX_SECTION_TEXT) };
}

function context(text: string): Block {
  return { type: 'context', elements: [plain(text, MAX_CONTEXT_TEXT)] };
}

/** What happened, in place of the buttons. */
function statusLine(text: string): Block {
  return { type: 'context', block_id: 'lab_status', elements: [plain(text, MAX_CONTEXT_TEXT)] };
}

function actions(elements: types.Button[]): Block {
  return { type: 'actions', block_id: 'lab_actions', elements };
}

function button(label: string, actionId: string, value?: string, style?: 'primary' | 'danger'): types.Button {
  return {
    type: 'button',
    action_id: actionId,
    text: plain(label, MAX_BUTTON_TEXT),
    ...(value !== undefined ? { value } : {}),
    ...(style ? { style } : {}),
  };
}

function plain(text: string, max: number): types.PlainTextElement {
  // Slack rejects an empty text object; a single space is the smallest it takes.
  return { type: 'plain_text', text: clip(text, max) || ' ', emoji: true };
}

function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function assertNever(view: never): never {
  throw new Error(`unknown card view: ${JSON.stringify(view)}`);
}
