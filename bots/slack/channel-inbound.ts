/**
 * Slack channel messages -> the core's ChannelMessage. Pure, like inbound.ts: the listener looks
 * up names and file stubs first. A message counts when a person wrote it in a public or private
 * channel the bot is in (`message.channels` / `message.groups`): the bot's own posts, other
 * bots, edits, deletions and joins come back as events too and are not channel messages.
 */
import type { ChannelMessage, ChannelPlace } from '../core/channel-port';
import { fileRef, isRelayable, type SlackEventEnvelope, type SlackMessageEvent, userSubtypes } from './inbound';
import { emojiHintsFromBlocks, slackToMarkdown } from './mrkdwn';

/** `channel`: a public channel; `group`: a private one (Slack's old name for them). */
const channelTypes = new Set(['channel', 'group']);

/** Whether the event is a person writing in a channel (not a DM) the bot can hear. */
export function isChannelMessage(event: SlackMessageEvent, botUserId?: string): boolean {
  if (event.type !== 'message' || !userSubtypes.has(event.subtype) || event.hidden) return false;
  if (event.bot_id || !event.user || (botUserId !== undefined && event.user === botUserId)) return false;
  return channelTypes.has(event.channel_type ?? '') && !!event.channel && !!event.ts;
}

/** The channel and thread of a channel message (`isChannelMessage` says both exist); a root post is its own thread. */
export function channelPlace(event: SlackMessageEvent): ChannelPlace {
  return { channel: event.channel ?? '', thread: event.thread_ts ?? event.ts ?? '' };
}

export interface ChannelMessageContext {
  authorName: string;
  botUserId?: string;
  userName?: (userId: string) => string | undefined;
}

export function channelMessageFrom(body: SlackEventEnvelope, ctx: ChannelMessageContext): ChannelMessage {
  const event = body.event;
  const { channel, thread } = channelPlace(event);
  const ts = event.ts ?? '';
  // Agents address the bot in a thread as often as not; its own mention says nothing to the user.
  const raw = ctx.botUserId ? (event.text ?? '').split(`<@${ctx.botUserId}>`).join('') : (event.text ?? '');
  const hasRichText = Array.isArray(event.blocks) && event.blocks.some((b) => (b as { type?: string })?.type === 'rich_text');
  const text = slackToMarkdown(raw, {
    userName: ctx.userName,
    emoji: hasRichText ? emojiHintsFromBlocks(event.blocks) : undefined,
  }).trim();
  return {
    surface: 'slack',
    channel,
    thread,
    messageId: ts,
    author: { id: event.user ?? '', name: ctx.authorName },
    text,
    files: (event.files ?? []).filter(isRelayable).map(fileRef),
    // The same two ids as a user's message: a retry keeps the event_id, a redelivery keeps channel + ts.
    dedupeKeys: [...(body.event_id ? [`slack:event:${body.event_id}`] : []), `slack:msg:${channel}:${ts}`],
  };
}
