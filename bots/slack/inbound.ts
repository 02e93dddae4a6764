/**
 * Slack payloads -> core events. Pure: the listeners look up what needs I/O first (the user's
 * profile, mentioned names, file stubs) and pass it in, so every quirk of what Slack sends is
 * pinned by fixture tests.
 */
import { DESCRIPTION_MAX_LENGTH, DetailsInput, parseCardAction } from '../../cards/actions';
import { BlockActionId } from '../../cards/blocks';
import type { CardLabels } from '../../cards/labels';
import type { UserContext, UserEvent } from '../core/events';
import type { FileRef, UserProfile } from '../core/ports';
import { messageRef, slackAddress } from './address';
import { emojiHintsFromBlocks, slackToMarkdown } from './mrkdwn';

// The parts of Slack's payloads we read. Kept loose: Slack adds fields all the time.

export interface SlackFile {
  id: string;
  name?: string;
  title?: string;
  mimetype?: string;
  filetype?: string;
  size?: number;
  url_private?: string;
  url_private_download?: string;
  /** `check_file_info`: a stub without URLs; `files.info` has the rest. */
  file_access?: string;
  /** `tombstone` (deleted), `hidden_by_limit` (over a free workspace's limit), `external`, ... */
  mode?: string;
  is_external?: boolean;
}

export interface SlackMessageEvent {
  type: string;
  subtype?: string;
  channel?: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts?: string;
  /** In a channel: the root of the thread the message was written in (absent for a root post). */
  thread_ts?: string;
  client_msg_id?: string;
  files?: SlackFile[];
  blocks?: unknown[];
  hidden?: boolean;
}

export interface SlackEventEnvelope {
  team_id?: string;
  event_id?: string;
  event: SlackMessageEvent;
}

export interface SlackBlockActionBody {
  type: 'block_actions';
  trigger_id?: string;
  user: { id: string; team_id?: string; name?: string };
  team?: { id: string } | null;
  channel?: { id: string };
  container?: { type?: string; channel_id?: string; message_ts?: string };
  message?: { ts?: string };
  actions: { action_id: string; value?: string; action_ts?: string }[];
}

export interface SlackViewSubmissionBody {
  type: 'view_submission';
  user: { id: string; team_id?: string };
  team?: { id: string } | null;
  view: {
    id: string;
    callback_id?: string;
    private_metadata?: string;
    state?: { values?: Record<string, Record<string, { value?: string | null; selected_option?: { value?: string } | null }>> };
  };
}

/** Message subtypes that are a person writing; everything else (edits, joins, bots) is not. */
export const userSubtypes = new Set([undefined, 'file_share', 'thread_broadcast']);

/** Whether a message event is a person writing to the bot in its DM. */
export function isUserMessage(event: SlackMessageEvent, botUserId?: string): boolean {
  if (event.type !== 'message' || !userSubtypes.has(event.subtype) || event.hidden) return false;
  // The bot's own posts come back as events too; so do other bots' messages.
  if (event.bot_id || !event.user || (botUserId !== undefined && event.user === botUserId)) return false;
  return event.channel_type === 'im' && !!event.channel && !!event.ts;
}

export interface MessageContext {
  profile: UserProfile;
  botUserId?: string;
  /** Names of mentioned users, looked up by the caller. */
  userName?: (userId: string) => string | undefined;
}

export function messageToUserEvent(body: SlackEventEnvelope, ctx: MessageContext): UserEvent | undefined {
  const event = body.event;
  if (!isUserMessage(event, ctx.botUserId) || !event.channel || !event.ts) return undefined;
  const channel = event.channel;
  const ts = event.ts;
  const hasRichText = Array.isArray(event.blocks) && event.blocks.some((b) => (b as { type?: string })?.type === 'rich_text');
  const text = slackToMarkdown(event.text ?? '', {
    userName: ctx.userName,
    // The blocks say which emoji are Slack's own (with their character) and which are custom.
    emoji: hasRichText ? emojiHintsFromBlocks(event.blocks) : undefined,
  });
  const files = (event.files ?? []).filter(isRelayable).map(fileRef);
  if (text === '' && files.length === 0) return undefined; // only a custom emoji, or only deleted files
  return {
    type: 'message',
    // Stable across Slack's redeliveries (new event_id, same message), for the desk's de-dupe.
    messageId: `slack:${channel}:${ts}`,
    text,
    ...(files.length > 0 ? { files } : {}),
    user: user(ctx.profile, slackAddress({ team: body.team_id, channel, user: event.user })),
    // Slack retries with the same event_id, and has redelivered messages under new event_ids.
    dedupeKeys: [...(body.event_id ? [`slack:event:${body.event_id}`] : []), `slack:msg:${channel}:${ts}`],
  };
}

/** Files worth passing on: not deleted, not hidden by the workspace's plan. */
export function isRelayable(file: SlackFile): boolean {
  return !!file.id && file.mode !== 'tombstone' && file.mode !== 'hidden_by_limit';
}

/** A file object without URLs (`file_access: check_file_info`): `files.info` has the rest. */
export function isStubFile(file: SlackFile): boolean {
  return file.file_access === 'check_file_info' || (!file.url_private && !file.url_private_download);
}

/** Slack's file object → the core's. `handle.id` is all `SlackSurface.download` needs. */
export function fileRef(file: SlackFile): FileRef {
  const url = file.url_private_download ?? file.url_private;
  return {
    name: file.name || file.title || `file-${file.id}`,
    contentType: file.mimetype ?? '',
    ...(typeof file.size === 'number' ? { size: file.size } : {}),
    ...(url ? { url } : {}),
    handle: {
      id: file.id,
      ...(isStubFile(file) ? { stub: true } : {}),
      ...(file.is_external || file.mode === 'external' ? { external: true } : {}),
    },
  };
}

/** A file worth passing on that arrived as a stub: `files.info` must complete it first. */
export function needsFileInfo(file: SlackFile): boolean {
  return !!file.id && isRelayable(file) && isStubFile(file);
}

/** Whether any of a message's files needs `files.info`. */
export function hasStubFiles(event: SlackMessageEvent): boolean {
  return (event.files ?? []).some(needsFileInfo);
}

// ---------------------------------------------------------------------------------------------
// Buttons
// ---------------------------------------------------------------------------------------------

export type ActionOutcome =
  | { kind: 'event'; event: UserEvent }
  /** "Add details": the glue opens the modal itself, with this click's trigger. */
  | { kind: 'openDetails'; offerId: string; channel: string; ts?: string; triggerId: string; topicOnly: boolean }
  /** A link button, or a click that is not ours: acknowledge and do nothing. */
  | { kind: 'ignore' };

export interface ActionContext {
  profile: UserProfile;
  /** When the click reached us (epoch ms): the age of its trigger. */
  now: number;
}

export function actionToOutcome(body: SlackBlockActionBody, ctx: ActionContext): ActionOutcome {
  const action = body.actions?.[0];
  const channel = body.channel?.id ?? body.container?.channel_id;
  const ts = body.container?.message_ts ?? body.message?.ts;
  if (!action || !channel) return { kind: 'ignore' };
  const parsed = parseCardAction(action.value);
  if (!parsed) return { kind: 'ignore' };
  const source = ts ? messageRef(channel, ts) : undefined;
  const team = body.team?.id ?? body.user.team_id;
  const base = (withTrigger: boolean): { user: UserContext; dedupeKeys: string[] } => ({
    user: user(
      ctx.profile,
      slackAddress({
        team,
        channel,
        user: body.user.id,
        ...(withTrigger && body.trigger_id ? { triggerId: body.trigger_id, triggerAt: ctx.now } : {}),
      }),
    ),
    dedupeKeys: [`slack:action:${body.user.id}:${action.action_ts ?? body.trigger_id ?? ts}`],
  });
  switch (parsed.lab) {
    case 'startChat':
      if (action.action_id !== BlockActionId.startChat) return { kind: 'ignore' };
      return { kind: 'event', event: { type: 'startChat', offerId: parsed.offerId, source, ...base(true) } };
    case 'submitDetails':
      if ((action.action_id !== BlockActionId.addDetails && action.action_id !== BlockActionId.addTopic) || !body.trigger_id)
        return { kind: 'ignore' };
      return {
        kind: 'openDetails',
        offerId: parsed.offerId,
        channel,
        ts,
        triggerId: body.trigger_id,
        topicOnly: action.action_id === BlockActionId.addTopic,
      };
    case 'cancel':
      return { kind: 'event', event: { type: 'cancel', sessionId: parsed.sessionId, source, ...base(false) } };
    case 'broadcastAction':
      return {
        kind: 'event',
        event: { type: 'broadcastAction', broadcastId: parsed.broadcastId, index: parsed.index, source, ...base(false) },
      };
  }
}

// ---------------------------------------------------------------------------------------------
// The details modal
// ---------------------------------------------------------------------------------------------

/** What the details modal carries in `private_metadata` (at most 3000 characters). */
export interface DetailsModalMetadata {
  offerId: string;
  channel: string;
  /** The message the modal was opened from. */
  ts?: string;
  /** `details`: opened from the "Add details" message, which then is the form to mark as sent. */
  from: 'offer' | 'details';
  topicRequired: boolean;
  /** A topic-only form: no description input (the problem is already described). */
  topicOnly?: boolean;
}

export function encodeModalMetadata(meta: DetailsModalMetadata): string {
  return JSON.stringify(meta);
}

export function decodeModalMetadata(text: string | undefined): DetailsModalMetadata | undefined {
  try {
    const v = JSON.parse(text ?? '') as Partial<DetailsModalMetadata>;
    if (typeof v.offerId !== 'string' || typeof v.channel !== 'string' || !v.offerId || !v.channel) return undefined;
    return {
      offerId: v.offerId,
      channel: v.channel,
      ...(typeof v.ts === 'string' ? { ts: v.ts } : {}),
      from: v.from === 'details' ? 'details' : 'offer',
      topicRequired: v.topicRequired === true,
      ...(v.topicOnly === true ? { topicOnly: true } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * Inline errors for a details modal submission, keyed by input block id; undefined when it is
 * valid. The same checks as the core's (a description, and a topic when topics are configured)
 * run here first, so the user sees them in the modal and can fix them; the core checks again, as
 * it must for any client.
 */
export function validateSubmission(
  body: SlackViewSubmissionBody,
  labels: Pick<CardLabels, 'descriptionError' | 'topicError'>,
): Record<string, string> | undefined {
  const meta = decodeModalMetadata(body.view.private_metadata);
  if (!meta) return undefined;
  const { description, topicId } = submittedValues(body);
  const errors: Record<string, string> = {};
  if (!description && !meta.topicOnly) errors[DetailsInput.description] = labels.descriptionError;
  if (meta.topicRequired && !topicId) errors[DetailsInput.topic] = labels.topicError;
  return Object.keys(errors).length > 0 ? errors : undefined;
}

/** A valid details modal submission → `submitDetails`; undefined for a modal that is not ours. */
export function submissionToUserEvent(body: SlackViewSubmissionBody, profile: UserProfile): UserEvent | undefined {
  const meta = decodeModalMetadata(body.view.private_metadata);
  if (!meta) return undefined;
  const { description, topicId } = submittedValues(body);
  // The form to mark as sent: the "Add details" message, or (opened straight from the offer) the modal.
  const source = meta.from === 'details' && meta.ts ? messageRef(meta.channel, meta.ts) : messageRef(meta.channel, undefined, body.view.id);
  return {
    type: 'submitDetails',
    offerId: meta.offerId,
    description: description.slice(0, DESCRIPTION_MAX_LENGTH),
    ...(topicId ? { topicId } : {}),
    source,
    user: user(profile, slackAddress({ team: body.team?.id ?? body.user.team_id, channel: meta.channel, user: body.user.id })),
    dedupeKeys: [`slack:view:${body.view.id}`],
  };
}

function submittedValues(body: SlackViewSubmissionBody): { description: string; topicId?: string } {
  const values = body.view.state?.values ?? {};
  const description = (values[DetailsInput.description]?.[DetailsInput.description]?.value ?? '').trim();
  const topicId = values[DetailsInput.topic]?.[DetailsInput.topic]?.selected_option?.value || undefined;
  return { description, topicId };
}

function user(profile: UserProfile, address: ReturnType<typeof slackAddress>): UserContext {
  return { surface: 'slack', profile, address };
}
