/**
 * Teams channel activities -> the core's ChannelMessage. Pure, like inbound.ts.
 *
 * In a channel, `conversation.conversationType` is `channel` and `conversation.id` names the
 * thread: `19:…@thread.tacv2;messageid=<root id>` (a root post names itself). Without the RSC
 * permission `ChannelMessage.Read.Group` only messages that @mention the bot reach it; with it,
 * every message in the team's standard channels does (docs/teams.md).
 */
import type { Activity } from 'botbuilder';
import type { ChannelMessage, ChannelPlace } from '../core/channel-port';
import { findEmoji } from './html';
import { htmlMirror, messageText, sharedFiles } from './inbound';

const THREAD_MARK = ';messageid=';

/** Whether the activity is a person's message in a Teams channel. */
export function isChannelActivity(activity: Partial<Activity>): boolean {
  return (
    activity.type === 'message' && activity.conversation?.conversationType === 'channel' && !!activity.conversation.id && !!activity.id
  );
}

/** The channel id and thread root of a channel activity. */
export function channelPlaceOf(activity: Partial<Activity>): ChannelPlace {
  const conversationId = activity.conversation?.id ?? '';
  const mark = conversationId.indexOf(THREAD_MARK);
  const fromConversation = mark >= 0 ? conversationId.slice(0, mark) : conversationId;
  const channelData = activity.channelData as { channel?: { id?: unknown } } | undefined;
  const channel = typeof channelData?.channel?.id === 'string' && channelData.channel.id ? channelData.channel.id : fromConversation;
  const thread = mark >= 0 ? conversationId.slice(mark + THREAD_MARK.length) : (activity.id ?? '');
  return { channel, thread };
}

/** The conversation id replies to a thread go to. */
export function threadConversationId(channel: string, thread: string): string {
  return `${channel}${THREAD_MARK}${thread}`;
}

export function channelMessageFrom(activity: Partial<Activity>): ChannelMessage {
  const { channel, thread } = channelPlaceOf(activity);
  const html = htmlMirror(activity);
  const from = activity.from;
  return {
    surface: 'teams',
    channel,
    thread,
    messageId: activity.id ?? '',
    // The AAD object id is stable across chats and apps; the `29:` id is per bot.
    author: { id: from?.aadObjectId ?? from?.id ?? '', name: from?.name ?? '' },
    text: messageText(activity, html ? findEmoji(html) : []),
    files: sharedFiles(activity),
    // Teams redelivers an activity it thinks timed out with the same conversation and activity id.
    dedupeKeys: [`teams:${activity.conversation?.id ?? ''}:${activity.id ?? ''}`],
  };
}
