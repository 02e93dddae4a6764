/**
 * Connect's chat items (the WebSocket's `aws/chat` frames and GetTranscript's `Transcript`
 * carry the same `Item`) mapped to the core's desk events. Pure: which item means what is
 * decided here and nowhere else (see shared/reference/agent-apis.md §2.3–2.6).
 */
import type { DeskEvent } from '../../../bots/core/ports';

/** The fields of an Item we read (both copies have them; the socket's adds InitialContactId). */
export interface ChatItem {
  Id?: string;
  Type?: string;
  ContentType?: string;
  Content?: string;
  ParticipantId?: string;
  DisplayName?: string;
  ParticipantRole?: string;
  AbsoluteTime?: string;
  Attachments?: { AttachmentId?: string; AttachmentName?: string; ContentType?: string; Status?: string }[];
}

const EVENT = 'application/vnd.amazonaws.connect.event.';
export const EVENTS = {
  joined: `${EVENT}participant.joined`,
  left: `${EVENT}participant.left`,
  typing: `${EVENT}typing`,
  chatEnded: `${EVENT}chat.ended`,
  transferSucceeded: `${EVENT}transfer.succeeded`,
  transferFailed: `${EVENT}transfer.failed`,
  idle: `${EVENT}participant.idle`,
  returned: `${EVENT}participant.returned`,
  autoDisconnection: `${EVENT}participant.autodisconnection`,
  delivered: `${EVENT}message.delivered`,
  read: `${EVENT}message.read`,
} as const;

const TEXT_TYPES = new Set(['text/plain', 'text/markdown']);
/** Roles whose messages are a person's on Connect's side, attributed to them. */
const PEOPLE = new Set(['AGENT', 'SUPERVISOR', 'CUSTOM_BOT']);

/** What the bridge tells the user for Connect's notices (the item carries no text of its own). */
export const NOTICES = {
  transferFailed: 'The transfer did not go through; your agent is still with you.',
  idle: 'Are you still there? The chat closes if there is no reply.',
  autoDisconnection: 'The chat was closed because there was no reply.',
};

export type Mapped =
  | { kind: 'event'; event: DeskEvent }
  | { kind: 'files'; item: ChatItem; agent: { id: string; name: string } }
  | { kind: 'ended' }
  | { kind: 'ignored'; why: 'echo' | 'signal' | 'unknown' };

/**
 * Whether GetTranscript keeps the item (typing and receipts are live-only signals): only those
 * may be a cursor, since a transcript read starts at a cursor's Id.
 */
export function persisted(item: ChatItem): boolean {
  if (item.Type === 'MESSAGEMETADATA' || item.Type === 'CONNECTION_ACK') return false;
  return !(
    item.Type === 'EVENT' &&
    (item.ContentType === EVENTS.typing || item.ContentType === EVENTS.delivered || item.ContentType === EVENTS.read)
  );
}

const supervisorName = (item: ChatItem) =>
  item.ParticipantRole === 'SUPERVISOR' ? `${item.DisplayName ?? 'Supervisor'} (supervisor)` : item.DisplayName;

export function mapItem(sessionId: string, item: ChatItem, ourParticipantId: string): Mapped {
  const mine = item.ParticipantId !== undefined && item.ParticipantId === ourParticipantId;
  const person = PEOPLE.has(item.ParticipantRole ?? '');
  const agent = { id: item.ParticipantId ?? item.DisplayName ?? 'agent', name: supervisorName(item) ?? 'Agent' };
  const id = item.Id ?? '';
  switch (item.Type) {
    case 'MESSAGE': {
      if (mine) return { kind: 'ignored', why: 'echo' };
      if (!TEXT_TYPES.has(item.ContentType ?? '') || typeof item.Content !== 'string') return { kind: 'ignored', why: 'unknown' };
      if (person) return { kind: 'event', event: { type: 'agentMessage', sessionId, agent, messageId: id, text: item.Content } };
      return { kind: 'event', event: { type: 'systemMessage', sessionId, messageId: id, text: item.Content } };
    }
    case 'ATTACHMENT':
      if (mine || !person) return { kind: 'ignored', why: mine ? 'echo' : 'unknown' };
      return { kind: 'files', item, agent };
    case 'EVENT':
      return mapEvent(sessionId, item, mine, person, agent);
    case 'MESSAGEMETADATA':
    case 'CONNECTION_ACK':
      return { kind: 'ignored', why: 'signal' };
    default:
      return { kind: 'ignored', why: 'unknown' };
  }
}

function mapEvent(sessionId: string, item: ChatItem, mine: boolean, person: boolean, agent: { id: string; name: string }): Mapped {
  const id = item.Id ?? '';
  switch (item.ContentType) {
    case EVENTS.chatEnded:
      return { kind: 'ended' };
    case EVENTS.joined:
      return person
        ? { kind: 'event', event: { type: 'agentJoined', sessionId, agent } }
        : { kind: 'ignored', why: mine ? 'echo' : 'signal' };
    case EVENTS.left:
      return person
        ? { kind: 'event', event: { type: 'agentLeft', sessionId, agent } }
        : { kind: 'ignored', why: mine ? 'echo' : 'signal' };
    case EVENTS.typing:
      return person ? { kind: 'event', event: { type: 'typing', sessionId, agent, on: true } } : { kind: 'ignored', why: 'signal' };
    case EVENTS.transferFailed:
      return { kind: 'event', event: { type: 'systemMessage', sessionId, messageId: id, text: NOTICES.transferFailed } };
    case EVENTS.idle:
      // About the customer (us): Connect's idle timer is running on the user.
      return mine
        ? { kind: 'event', event: { type: 'systemMessage', sessionId, messageId: id, text: NOTICES.idle } }
        : { kind: 'ignored', why: 'signal' };
    case EVENTS.autoDisconnection:
      return mine
        ? { kind: 'event', event: { type: 'systemMessage', sessionId, messageId: id, text: NOTICES.autoDisconnection } }
        : { kind: 'ignored', why: 'signal' };
    case EVENTS.transferSucceeded:
    case EVENTS.returned:
    case EVENTS.delivered:
    case EVENTS.read:
      // A transfer shows as the agent leaving and the next one joining; receipts are the agent's.
      return { kind: 'ignored', why: 'signal' };
    default:
      return { kind: 'ignored', why: 'unknown' };
  }
}
