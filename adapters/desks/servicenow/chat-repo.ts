/**
 * What the connector keeps per chat, in the Store (so any process can take ServiceNow's webhook
 * for any chat, and a restart loses nothing): the kit's typed repository (`kit/chat-repo.ts`,
 * `sn:chat:<id>`), plus the other keys it owns. Every key has a TTL.
 */
import type { Store } from '../../../bots/core/ports';
import { ChatRepo as KitChatRepo } from '../kit/chat-repo';
import { MarkSet } from '../kit/marks';
import type { ChatState } from './mapper';
import type { Requester } from './requests';

export interface ChatRecord extends ChatState {
  sessionId: string;
  who: Requester;
  /** Sent as `headers.Authorization` with this chat's attachments; file fetches must present it. */
  fileSecret: string;
  incidentNumber?: string;
  /** Who ended it: after our END_CONVERSATION the desk's closing lines are not relayed. */
  endedBy?: 'us' | 'desk';
  createdAt: number;
}

/**
 * A vault file handed to ServiceNow: from then on only ServiceNow may fetch it (with the chat's
 * secret), and only until `expiresAt`; after that nobody. Kept as long as the file itself, so
 * the URL never falls back to "the URL alone is enough".
 */
export interface FileGrant {
  sessionId: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** Long enough for late webhooks after an end to be recognised (and dropped). */
const ENDED_TTL_MS = 60 * 60 * 1000;

export const SN_NAMESPACE = 'sn';

export const snKeys = {
  file: (vaultId: string) => `sn:file:${vaultId}`,
};

export type ChatRepo = KitChatRepo<ChatRecord>;

export function createChatRepo(store: Store, openTtlMs: number): ChatRepo {
  return new KitChatRepo<ChatRecord>({
    store,
    namespace: SN_NAMESPACE,
    ttlOf: (chat) => (chat.status === 'ended' ? ENDED_TTL_MS : openTtlMs),
  });
}

/**
 * A user message id is relayed once, even when the surface retries (`sn:sent:<chat>:<message>`),
 * for the broker's own de-duplication window (issue 11: nothing per message outlives 15 minutes).
 */
export function sentMarks(store: Store): MarkSet {
  return new MarkSet(store, SN_NAMESPACE, 'sent');
}

/** A webhook payload is applied once (`sn:payload:<hash>`), for `webhook.dedupeMinutes`. */
export function payloadMarks(store: Store, ttlMs: number): MarkSet {
  return new MarkSet(store, SN_NAMESPACE, 'payload', ttlMs);
}
