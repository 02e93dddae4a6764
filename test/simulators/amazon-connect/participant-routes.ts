/**
 * The Participant Service's chat calls (`POST /participant/...`, JSON, 200): connection, message,
 * event, transcript, disconnect. The SDK signs them with SigV4 anyway; the service (and this
 * simulator) ignores that and authenticates by `X-Amz-Bearer`. Every item a participant sends is
 * echoed on its own socket too, as Connect does, so a client must skip its own ParticipantId.
 */
import { bearer, connection } from './bearer';
import type { SimContext } from './context';
import { AwsError, accessDenied, type Route, str, validation } from './http';
import { EVENT, MESSAGE_TYPES, SENDABLE_EVENTS } from './items';
import type { SimContact } from './state';
import { transcriptPage } from './transcript';

/** application/json and interactive responses have their own, larger limits. */
const LARGE_LIMITS: Record<string, number> = {
  'application/json': 12000,
  'application/vnd.amazonaws.connect.message.interactive.response': 12288,
};

export function participantRoutes(sim: SimContext): Route[] {
  // ClientToken → the first answer, so an SDK retry after a lost response does not send twice.
  const answered = new Map<string, { Id: string; AbsoluteTime: string }>();
  const once = (participantId: string, clientToken: unknown, send: () => { Id: string; AbsoluteTime: string }) => {
    const key = typeof clientToken === 'string' ? `${participantId}:${clientToken}` : undefined;
    const earlier = key ? answered.get(key) : undefined;
    if (earlier) return earlier;
    const result = send();
    if (key) answered.set(key, result);
    return result;
  };

  return [
    {
      operation: 'CreateParticipantConnection',
      method: 'POST',
      path: '/participant/connection',
      handle: ({ req, json }) => {
        const body = json();
        // Only the ParticipantToken opens a connection; a ConnectionToken here is refused.
        const contact = sim.state.byParticipantToken(bearer(req));
        if (!contact) throw accessDenied('Invalid ParticipantToken');
        if (contact.status === 'ended') throw accessDenied('The participant is not part of an active chat');
        const types = body.Type;
        if (!Array.isArray(types) || types.length === 0) throw validation("'Type' must list WEBSOCKET and/or CONNECTION_CREDENTIALS");
        const unknown = types.filter((t) => t !== 'WEBSOCKET' && t !== 'CONNECTION_CREDENTIALS' && t !== 'WEBRTC_CONNECTION');
        if (unknown.length > 0) throw validation(`Unknown connection type ${unknown.join(', ')}`);
        if (body.ConnectParticipant === true && !contact.customerConnected) {
          contact.customerConnected = true;
          sim.post(contact, contact.customer, { Type: 'EVENT', ContentType: EVENT.joined });
        }
        const result: Record<string, unknown> = {};
        if (types.includes('WEBSOCKET')) {
          const ticket = sim.state.issueTicket(contact, sim.limits.websocketOpenWithinMs, sim.limits.websocketLifetimeMs);
          result.Websocket = {
            Url: `${sim.url.replace(/^http/, 'ws')}/websocket?ticket=${ticket.ticket}`,
            ConnectionExpiry: new Date(ticket.expiresAt).toISOString(),
          };
        }
        if (types.includes('CONNECTION_CREDENTIALS')) {
          const grant = sim.state.grantConnection(contact, sim.limits.connectionTokenTtlMs);
          result.ConnectionCredentials = { ConnectionToken: grant.token, Expiry: new Date(grant.expiresAt).toISOString() };
        }
        return { json: result };
      },
    },
    {
      operation: 'SendMessage',
      method: 'POST',
      path: '/participant/message',
      handle: ({ req, json }) => {
        const body = json();
        const { contact, participant } = connection(sim, req, { active: true });
        const contentType = str(body, 'ContentType', { required: true, min: 1, max: 100 }) as string;
        if (!MESSAGE_TYPES.includes(contentType)) throw validation(`ContentType ${contentType} is not supported`);
        if (!contact.supportedContentTypes.includes(contentType)) {
          throw validation(`ContentType ${contentType} is not in the chat's SupportedMessagingContentTypes`);
        }
        const content = str(body, 'Content', {
          required: true,
          min: 1,
          max: LARGE_LIMITS[contentType] ?? sim.limits.messageMaxLength,
        }) as string;
        const { Id, AbsoluteTime } = once(participant.participantId, body.ClientToken, () =>
          sim.post(contact, participant, { Type: 'MESSAGE', ContentType: contentType, Content: content }),
        );
        return { json: { Id, AbsoluteTime } };
      },
    },
    {
      operation: 'SendEvent',
      method: 'POST',
      path: '/participant/event',
      handle: ({ req, json }) => {
        const body = json();
        const { contact, participant } = connection(sim, req, { active: true });
        const contentType = str(body, 'ContentType', { required: true, min: 1, max: 100 }) as string;
        if (!SENDABLE_EVENTS.includes(contentType)) throw validation(`ContentType ${contentType} is not a participant event`);
        const content = str(body, 'Content', { max: 1024 });
        const { Id, AbsoluteTime } = once(participant.participantId, body.ClientToken, () => {
          if (contentType === EVENT.delivered || contentType === EVENT.read) return receipt(sim, contact, contentType, content);
          if (contentType === EVENT.connectionAcknowledged && !contact.customerConnected) {
            contact.customerConnected = true;
            return sim.post(contact, participant, { Type: 'EVENT', ContentType: EVENT.joined });
          }
          return sim.post(contact, participant, { Type: 'EVENT', ContentType: contentType, ...(content ? { Content: content } : {}) });
        });
        return { json: { Id, AbsoluteTime } };
      },
    },
    {
      operation: 'GetTranscript',
      method: 'POST',
      path: '/participant/transcript',
      handle: ({ req, json }) => {
        const body = json();
        const { contact } = connection(sim, req, { active: false });
        return { json: transcriptPage(contact, body) };
      },
    },
    {
      operation: 'DisconnectParticipant',
      method: 'POST',
      path: '/participant/disconnect',
      handle: ({ req }) => {
        const { contact, participant } = connection(sim, req, { active: true });
        // The customer leaving ends a two-party chat; the agents are released with it.
        sim.post(contact, participant, { Type: 'EVENT', ContentType: EVENT.left });
        contact.status = 'ended';
        contact.present = [];
        sim.post(contact, undefined, { Type: 'EVENT', ContentType: EVENT.chatEnded });
        return { json: {} };
      },
    },
  ];
}

/**
 * A delivered/read receipt for an agent's message: recorded on the message's MessageMetadata and
 * pushed as a MESSAGEMETADATA frame (the shape chatjs reads). Connect refuses receipts once more
 * than two participants are in the chat.
 */
function receipt(sim: SimContext, contact: SimContact, contentType: string, content: string | undefined) {
  let messageId: unknown;
  try {
    messageId = content ? (JSON.parse(content) as { messageId?: unknown }).messageId : undefined;
  } catch {
    messageId = undefined;
  }
  if (typeof messageId !== 'string') throw validation('A receipt needs Content {"messageId":"..."}');
  if (contact.present.length + 1 > 2)
    throw new AwsError(409, 'ConflictException', 'Message receipts are not supported with more than two participants');
  const message = contact.items.find((i) => i.Id === messageId && i.Type === 'MESSAGE');
  if (!message) throw validation(`Message ${messageId} is not in this chat`);
  const at = new Date(sim.state.now()).toISOString();
  const receipts = message.MessageMetadata?.Receipts ?? [];
  const recipient = contact.customer.participantId;
  const entry = receipts.find((r) => r.RecipientParticipantId === recipient) ?? { RecipientParticipantId: recipient };
  if (contentType === EVENT.delivered) entry.DeliveredTimestamp ??= at;
  else entry.ReadTimestamp ??= at;
  if (!receipts.includes(entry)) receipts.push(entry);
  message.MessageMetadata = { MessageId: messageId, Receipts: receipts };
  return sim.post(contact, undefined, {
    Type: 'MESSAGEMETADATA',
    ContentType: contentType,
    MessageMetadata: { MessageId: messageId, Receipts: [{ ...entry }] },
  });
}
