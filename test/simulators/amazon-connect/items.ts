/**
 * The chat `Item` of the Participant Service: the one shape both GetTranscript and the WebSocket
 * carry (the socket adds `InitialContactId`). Field names and content types follow the Smithy model
 * of `connectparticipant` and chatjs's constants; see ../../../../shared/reference/agent-apis.md §2.
 */

export type ParticipantRole = 'AGENT' | 'CUSTOMER' | 'SYSTEM' | 'CUSTOM_BOT' | 'SUPERVISOR';
export type ItemType = 'MESSAGE' | 'EVENT' | 'ATTACHMENT' | 'CONNECTION_ACK' | 'MESSAGEMETADATA';

export interface AttachmentItem {
  ContentType: string;
  AttachmentId: string;
  AttachmentName: string;
  Status: 'APPROVED' | 'REJECTED' | 'IN_PROGRESS';
}

export interface Receipt {
  DeliveredTimestamp?: string;
  ReadTimestamp?: string;
  RecipientParticipantId: string;
}

export interface ChatItem {
  AbsoluteTime: string;
  Content?: string;
  ContentType: string;
  Id: string;
  Type: ItemType;
  ParticipantId?: string;
  DisplayName?: string;
  ParticipantRole?: ParticipantRole;
  Attachments?: AttachmentItem[];
  MessageMetadata?: { MessageId: string; Receipts: Receipt[] };
  ContactId: string;
  InitialContactId: string;
}

const EVENT_PREFIX = 'application/vnd.amazonaws.connect.event.';

/** Event content types (Type `EVENT`), as chatjs names them. */
export const EVENT = {
  joined: `${EVENT_PREFIX}participant.joined`,
  left: `${EVENT_PREFIX}participant.left`,
  typing: `${EVENT_PREFIX}typing`,
  chatEnded: `${EVENT_PREFIX}chat.ended`,
  transferSucceeded: `${EVENT_PREFIX}transfer.succeeded`,
  transferFailed: `${EVENT_PREFIX}transfer.failed`,
  idle: `${EVENT_PREFIX}participant.idle`,
  returned: `${EVENT_PREFIX}participant.returned`,
  autoDisconnection: `${EVENT_PREFIX}participant.autodisconnection`,
  delivered: `${EVENT_PREFIX}message.delivered`,
  read: `${EVENT_PREFIX}message.read`,
  connectionAcknowledged: `${EVENT_PREFIX}connection.acknowledged`,
} as const;

/** What a participant may send with SendEvent (the model's documented values). */
export const SENDABLE_EVENTS: readonly string[] = [EVENT.typing, EVENT.delivered, EVENT.read, EVENT.connectionAcknowledged];

/** Message content types Connect accepts on SendMessage / InitialMessage. */
export const MESSAGE_TYPES: readonly string[] = [
  'text/plain',
  'text/markdown',
  'application/json',
  'application/vnd.amazonaws.connect.message.interactive.response',
];

/**
 * Events the transcript keeps. Typing and receipts are live-only signals (receipts update the
 * message's MessageMetadata instead); this split is our reading of chatjs, not a documented rule.
 */
export function persisted(item: ChatItem): boolean {
  if (item.Type === 'MESSAGEMETADATA') return false;
  return !(
    item.Type === 'EVENT' &&
    (item.ContentType === EVENT.typing || item.ContentType === EVENT.delivered || item.ContentType === EVENT.read)
  );
}

/** Files Connect accepts in chat (Admin Guide, "feature specifications"), by MIME type. */
export const ATTACHMENT_TYPES: Record<string, string> = {
  'text/csv': '.csv',
  'application/msword': '.doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': '.docx',
  'image/heic': '.heic',
  'image/jpeg': '.jpg',
  'video/quicktime': '.mov',
  'video/mp4': '.mp4',
  'application/pdf': '.pdf',
  'image/png': '.png',
  'application/vnd.ms-powerpoint': '.ppt',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': '.pptx',
  'application/rtf': '.rtf',
  'text/plain': '.txt',
  'audio/wav': '.wav',
  'application/vnd.ms-excel': '.xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': '.xlsx',
};

/** 20 MB: the documented maximum for a chat attachment. */
export const ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024;
