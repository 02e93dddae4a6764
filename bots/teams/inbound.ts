/**
 * Teams activities -> core events. Pure: no I/O, no SDK calls beyond reading the activity, so
 * every quirk of what Teams sends is pinned by fixture tests.
 */
import type { Activity } from 'botbuilder';
import { parseCardAction } from '../../cards/actions';
import type { UserContext, UserEvent } from '../core/events';
import type { FileRef } from '../core/ports';
import { addressFromActivity, sentRef } from './address';
import { isConnectorUrl, type TeamsFileHandle, type TeamsFileKind } from './files';
import { findEmoji, htmlToText, looksLikeHtml, type TeamsEmoji } from './html';

/** Teams' attachment for a file the user shared in a 1:1 chat (needs `supportsFiles`). */
export const FILE_DOWNLOAD_INFO = 'application/vnd.microsoft.teams.file.download.info';

export function activityToUserEvent(activity: Partial<Activity>): UserEvent | undefined {
  switch (activity.type) {
    case 'message':
      return messageEvent(activity);
    case 'typing':
      return { type: 'typing', ...base(activity) };
    default:
      // conversationUpdate, installationUpdate, messageReaction, invoke...: nothing for the core.
      return undefined;
  }
}

function messageEvent(activity: Partial<Activity>): UserEvent | undefined {
  // An Action.Submit click arrives as a message whose `value` is the button's data merged with
  // the card's inputs; `replyToId` is the card that was clicked.
  // Only a click carries a value; a plain message skips the parser (and its error report).
  const action = activity.value !== undefined && activity.value !== null ? parseCardAction(activity.value) : undefined;
  if (action) {
    const source = activity.replyToId ? sentRef(activity.replyToId) : undefined;
    switch (action.lab) {
      case 'startChat':
        return { type: 'startChat', offerId: action.offerId, source, ...base(activity) };
      case 'submitDetails':
        return {
          type: 'submitDetails',
          offerId: action.offerId,
          description: action.description,
          topicId: action.topic,
          source,
          ...base(activity),
        };
      case 'cancel':
        return { type: 'cancel', sessionId: action.sessionId, source, ...base(activity) };
      case 'broadcastAction':
        return { type: 'broadcastAction', broadcastId: action.broadcastId, index: action.index, source, ...base(activity) };
    }
  }

  const html = htmlMirror(activity);
  const emoji = html ? findEmoji(html) : [];
  const text = messageText(activity, emoji);
  const files = sharedFiles(activity);
  if (text === '' && files.length === 0) return undefined; // e.g. only a custom emoji, or a foreign card click
  return {
    type: 'message',
    messageId: activity.id ?? '',
    text,
    ...(files.length > 0 ? { files } : {}),
    ...base(activity),
  };
}

function base(activity: Partial<Activity>): { user: UserContext; dedupeKeys: string[] } {
  const from = activity.from;
  return {
    user: {
      surface: 'teams',
      profile: {
        // The AAD object id is stable across chats and apps; the `29:` id is per bot.
        id: from?.aadObjectId ?? from?.id ?? '',
        name: from?.name ?? '',
        ...(activity.locale ? { locale: activity.locale } : {}),
        ...(activity.localTimezone ? { timeZone: activity.localTimezone } : {}),
      },
      address: addressFromActivity(activity),
    },
    // Teams redelivers an activity it thinks timed out with the same conversation and activity id.
    dedupeKeys: activity.conversation?.id && activity.id ? [`teams:${activity.conversation.id}:${activity.id}`] : [],
  };
}

/** The user's words: no bot mention, standard emoji kept, custom emoji stripped. */
export function messageText(activity: Partial<Activity>, emoji: TeamsEmoji[]): string {
  let text = removeBotMention(activity, activity.text ?? '');
  if (looksLikeHtml(text)) text = htmlToText(text);
  // Custom emoji reach `text` as their alt token ("(partyparrot)"); the HTML mirror tells us which
  // tokens are emoji, so ordinary text in parentheses is left alone.
  for (const e of emoji) {
    if (e.custom && e.alt) text = text.split(e.alt).join('');
  }
  return text
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/ *\n */g, '\n')
    .trim();
}

function removeBotMention(activity: Partial<Activity>, text: string): string {
  const botId = activity.recipient?.id;
  let out = text;
  for (const entity of activity.entities ?? []) {
    if (entity.type !== 'mention' || typeof entity.text !== 'string') continue;
    const mentioned = (entity as { mentioned?: { id?: string } }).mentioned;
    if (mentioned?.id && mentioned.id === botId) out = out.split(entity.text).join('');
  }
  // Any other mention keeps its meaning for the agent as plain "@Name".
  return out.replace(/<at>([^<]*)<\/at>/gi, (_m, name: string) => `@${name}`);
}

export function htmlMirror(activity: Partial<Activity>): string | undefined {
  const mirror = activity.attachments?.find((a) => a.contentType === 'text/html' && typeof a.content === 'string');
  return mirror?.content as string | undefined;
}

/**
 * Files the user shared, each with `handle.teams` saying how `TeamsSurface.download` fetches it:
 * - `file.download.info` (a OneDrive file): its pre-authorised `downloadUrl`, no token.
 * - a pasted image (`image/*` whose `contentUrl` is on this conversation's Bot Connector):
 *   the bot's token.
 * Ignored: the `text/html` mirror of the message, emoji sprites (`image/*` on Teams' CDN),
 * cards, and images anywhere else (the bot token must never be sent to them).
 */
export function sharedFiles(activity: Partial<Activity>): FileRef[] {
  const files: FileRef[] = [];
  const seen = new Set<string>();
  let images = 0;
  for (const attachment of activity.attachments ?? []) {
    if (attachment.contentType === FILE_DOWNLOAD_INFO) {
      const content = (attachment.content ?? {}) as { downloadUrl?: unknown; fileType?: unknown };
      if (typeof content.downloadUrl !== 'string' || seen.has(content.downloadUrl)) continue;
      seen.add(content.downloadUrl);
      const fileType = typeof content.fileType === 'string' ? content.fileType : extensionOf(attachment.name);
      files.push({
        name: attachment.name ?? `file.${fileType || 'bin'}`,
        contentType: mimeType(fileType),
        url: content.downloadUrl,
        handle: handle('download-info'),
      });
    } else if (/^image\//i.test(attachment.contentType ?? '')) {
      const url = attachment.contentUrl;
      if (typeof url !== 'string' || seen.has(url) || !isConnectorUrl(url, activity.serviceUrl)) continue;
      seen.add(url);
      images += 1;
      files.push({ ...imageNameAndType(attachment.name, attachment.contentType, images), url, handle: handle('connector-image') });
    }
  }
  return files;
}

function handle(teams: TeamsFileKind): TeamsFileHandle {
  return { teams };
}

/**
 * Pasted images often come as `image/*` with no name. The vault serves what the type says, so a
 * wildcard becomes a concrete type (from the name, else PNG, what Teams stores pastes as).
 */
function imageNameAndType(name: string | undefined, contentType: string | undefined, n: number): { name: string; contentType: string } {
  const declared = (contentType ?? '').toLowerCase();
  const fromName = mimeType(extensionOf(name));
  const type = declared !== 'image/*' ? declared : fromName.startsWith('image/') ? fromName : 'image/png';
  const ext = Object.entries(mimeTypes).find(([, t]) => t === type)?.[0] ?? 'png';
  return { name: name?.trim() || (n === 1 ? `image.${ext}` : `image-${n}.${ext}`), contentType: type };
}

function extensionOf(name: string | undefined): string {
  const m = /\.([a-z0-9]+)$/i.exec(name ?? '');
  return m ? m[1].toLowerCase() : '';
}

const mimeTypes: Record<string, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  txt: 'text/plain',
  log: 'text/plain',
  csv: 'text/csv',
  json: 'application/json',
  zip: 'application/zip',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

function mimeType(fileType: string): string {
  return mimeTypes[fileType.toLowerCase()] ?? 'application/octet-stream';
}
