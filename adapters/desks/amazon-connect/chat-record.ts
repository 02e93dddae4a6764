/**
 * What the bridge keeps per Connect chat, in the Store (any process may be the one that opens
 * the chat's WebSocket or relays a message): the contact, our participant, its tokens.
 */
import { z } from 'zod';
import type { Store } from '../../../bots/core/ports';
import { ChatRepo } from '../kit/chat-repo';

const HOUR = 60 * 60 * 1000;

export const connectChatSchema = z.object({
  contactId: z.string(),
  /** Our (the customer's) participant: its items on the socket are our own echoes. */
  participantId: z.string(),
  /** Opens connections (CreateParticipantConnection); valid for the chat's whole life. */
  participantToken: z.string(),
  /** Authorizes send, events, transcript, attachments, disconnect; renewed from the ParticipantToken. */
  connectionToken: z.string(),
  /** Set before we disconnect, so the `chat.ended` that follows is not reported back as the agent's end. */
  endedByUs: z.boolean().optional(),
});

export type ConnectChat = z.infer<typeof connectChatSchema>;

export function connectChatRepo(store: Store, chatTtlHours: number): ChatRepo<ConnectChat> {
  return new ChatRepo<ConnectChat>({
    store,
    namespace: 'amazon-connect',
    schema: connectChatSchema,
    // An ended chat stays an hour: late calls (a second end, a late send) still find it.
    ttlOf: (chat) => (chat.endedByUs ? HOUR : chatTtlHours * HOUR),
  });
}
