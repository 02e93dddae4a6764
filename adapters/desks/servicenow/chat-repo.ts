/**
 * What the connector keeps per chat, in the Store (so any process can take ServiceNow's webhook
 * for any chat, and a restart loses nothing), plus the other keys it owns. Every key has a TTL.
 */
import type { Store } from '../../../bots/core/ports';
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

export const snKeys = {
  chat: (sessionId: string) => `sn:chat:${sessionId}`,
  payload: (hash: string) => `sn:payload:${hash}`,
  sent: (sessionId: string, messageId: string) => `sn:sent:${sessionId}:${messageId}`,
  file: (vaultId: string) => `sn:file:${vaultId}`,
};

export class ChatRepo {
  constructor(
    private readonly store: Store,
    private readonly openTtlMs: number,
  ) {}

  get(sessionId: string): Promise<ChatRecord | undefined> {
    return this.store.get<ChatRecord>(snKeys.chat(sessionId));
  }

  put(chat: ChatRecord): Promise<void> {
    return this.store.set(snKeys.chat(chat.sessionId), chat, chat.status === 'ended' ? ENDED_TTL_MS : this.openTtlMs);
  }
}
