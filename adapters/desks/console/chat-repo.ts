/**
 * Where console chats live in the `Store`, on the desk kit's pieces:
 * - `console:chat:<id>`: the chat without its messages (`Chat`), replaced on each write: the
 *   kit's `ChatRepo`, with a codec that leaves out what only repeats the title. Small, and the
 *   same size however long the chat gets. Writes to one chat hold its lease (`console:lock:<id>`),
 *   so processes take turns.
 * - `console:messages:<id>`: the chat's messages, oldest first, an append-only list
 *   (`Store.append`): adding one never reads or rewrites the others.
 * - `console:seen:<id>:<created>:<message id>`: a mark per user message (the kit's `MarkSet`), so
 *   a retried message is shown once without reading the list. It lives 15 minutes, not the chat's
 *   life: a retry comes within minutes, and a mark per message kept for days is what bounded
 *   memory rules out (issue 11).
 * - `console:index` listing chat ids, so the chat list never scans keys, and `console:queue`
 *   listing queued chats (the kit's `IdList`: versioned updates, so processes adding chats at
 *   once all land).
 */
import type { Clock, HistoryEntry, Logger, Store } from '../../../bots/core/ports';
import { ChatRepo as KitChatRepo, type RecordCodec } from '../kit/chat-repo';
import { IdList } from '../kit/id-list';
import { MarkSet, MESSAGE_MARK_TTL_MS } from '../kit/marks';
import { type Chat, type ChatMessage, preview } from './chat-record';

const NAMESPACE = 'console';
export const CHAT_KEY_PREFIX = 'console:chat:';
export const MESSAGES_KEY_PREFIX = 'console:messages:';
export const SEEN_KEY_PREFIX = 'console:seen:';
export const INDEX_KEY = 'console:index';
/** Ids of queued chats, oldest first, so a queue position never needs every chat read. */
export const QUEUE_KEY = 'console:queue';

export interface ChatTtls {
  /** Queued and live chats: long, so a quiet chat survives a weekend. */
  openMs: number;
  /** Ended chats stay only as long as they are listed under "recent". */
  endedMs: number;
}

export const DEFAULT_OPEN_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * How long a user message's `seen` mark lasts: as long as the broker's de-duplication marks, the
 * window in which a platform or the broker retries a message.
 */
export const SEEN_TTL_MS = MESSAGE_MARK_TTL_MS;

/**
 * What is stored under the chat's key: the id is the key's, text that only repeats the title
 * (the details of a one-line request, the history line that became the title) is left out, and
 * so are an empty agent list and a zero count. Chats stored by earlier versions have their
 * messages in `messages` and no summary.
 */
type StoredChat = Omit<Chat, 'id' | 'details' | 'history' | 'agents' | 'messageCount'> & {
  id?: string;
  details?: string;
  history: (Omit<HistoryEntry, 'text'> & { text?: string })[];
  agents?: Chat['agents'];
  messageCount?: number;
  messages?: ChatMessage[];
};

const compact: RecordCodec<Chat, StoredChat> = {
  toStored(chat) {
    const { id, details, history, agents, messageCount, earlierMessages, ...rest } = chat;
    return {
      ...rest,
      ...(details !== chat.title ? { details } : {}),
      history: history.map((h) => (h.text === chat.title ? { from: h.from, at: h.at } : h)),
      ...(agents.length > 0 ? { agents } : {}),
      ...(messageCount > 0 ? { messageCount } : {}),
      // Kept under the name they were stored with.
      ...(earlierMessages ? { messages: earlierMessages } : {}),
    };
  },
  fromStored(stored, id) {
    const { messages: earlier, ...rest } = stored;
    const chat = rest as Chat;
    chat.id = id;
    if (chat.details === undefined) chat.details = chat.title;
    for (const entry of stored.history) entry.text ??= chat.title;
    chat.agents ??= [];
    if (earlier) {
      // Stored before messages had their own list: they stay where they are, read-only.
      chat.earlierMessages = earlier;
      if (chat.messageCount === undefined) {
        chat.messageCount = earlier.length;
        const last = earlier[earlier.length - 1];
        if (last) chat.lastMessage = preview(last);
      }
    }
    chat.messageCount ??= 0;
    return chat;
  },
};

export interface ChatRepoDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  ttls: ChatTtls;
}

export class ChatRepo {
  private readonly store: Store;
  private readonly ttls: ChatTtls;
  private readonly chats: KitChatRepo<Chat, StoredChat>;
  private readonly queue: IdList;
  private readonly seen: MarkSet;

  constructor(deps: ChatRepoDeps) {
    this.store = deps.store;
    this.ttls = deps.ttls;
    // Twice the open TTL: a list must outlive any chat it names; `list` prunes stale ids.
    const listTtlMs = deps.ttls.openMs * 2;
    this.chats = new KitChatRepo<Chat, StoredChat>({
      store: deps.store,
      namespace: NAMESPACE,
      ttlOf: (chat) => this.ttlOf(chat),
      codec: compact,
      index: { ttlMs: listTtlMs },
      lock: { clock: deps.clock, logger: deps.logger },
    });
    this.queue = new IdList(deps.store, QUEUE_KEY, listTtlMs);
    this.seen = new MarkSet(deps.store, NAMESPACE, 'seen', SEEN_TTL_MS);
  }

  /** The chat without its messages. A fresh copy: callers may change it freely. */
  get(id: string): Promise<Chat | undefined> {
    return this.chats.get(id);
  }

  /**
   * Write a chat with the TTL its status deserves; `listed: false` also adds it to the index.
   * Details that only repeat the title (a one-line description) are not stored twice; `get`
   * puts them back.
   */
  put(chat: Chat, options: { listed: boolean }): Promise<void> {
    return this.chats.put(chat.id, chat, options);
  }

  /** Read-modify-write one chat with no other write to it in between (in any process). */
  mutate<T>(id: string, change: (chat: Chat | undefined) => Promise<T>): Promise<T> {
    return this.chats.mutate(id, change);
  }

  /**
   * Add a message to the chat's list and its summary to the chat (the caller writes the chat
   * with `put`). The list gets the chat's TTL as it is now, so a chat and its messages expire
   * together: every write of a chat follows a message, or comes before the first.
   */
  async append(chat: Chat, message: ChatMessage): Promise<void> {
    const length = await this.store.append(MESSAGES_KEY_PREFIX + chat.id, message, this.ttlOf(chat));
    chat.messageCount = (chat.earlierMessages?.length ?? 0) + length;
    chat.lastMessage = preview(message);
  }

  /** Every message of the chat, oldest first (the chat's `undelivered` marks not applied). */
  async messages(chat: Chat): Promise<ChatMessage[]> {
    return this.store.list<ChatMessage>(MESSAGES_KEY_PREFIX + chat.id);
  }

  /** A chat opened again under an ended chat's id starts with no messages. */
  async clearMessages(id: string): Promise<void> {
    await this.store.delete(MESSAGES_KEY_PREFIX + id);
  }

  /**
   * Claim a user message id for this chat: true the first time only. Marks carry the chat's
   * creation time, so a chat reopened under the same id starts with none, and last
   * `SEEN_TTL_MS` (a retry comes within that window; later, the broker's own marks are gone too).
   */
  async firstSight(chat: Chat, messageId: string): Promise<boolean> {
    if (chat.earlierMessages?.some((m) => m.from === 'user' && m.id === messageId)) return false;
    return this.seen.claim(chat.id, String(chat.createdAt), messageId);
  }

  /** Forget a claim whose message could not be stored, so a retry is not dropped. */
  forgetSight(chat: Chat, messageId: string): Promise<void> {
    return this.seen.forget(chat.id, String(chat.createdAt), messageId);
  }

  /** Every chat still in the store; ids whose record expired are dropped from the index. */
  list(): Promise<Chat[]> {
    return this.chats.list();
  }

  /** Put a chat on (or take it off) the queue list; resolves with its 1-based position (0 when off). */
  setQueued(id: string, queued: boolean): Promise<number> {
    return this.queue.set(id, queued);
  }

  private ttlOf(chat: Chat): number {
    return chat.status === 'ended' ? this.ttls.endedMs : this.ttls.openMs;
  }
}
