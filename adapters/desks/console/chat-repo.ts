/**
 * Where console chats live in the `Store`:
 * - `console:chat:<id>`: the chat without its messages (`Chat`), replaced on each write. Small,
 *   and the same size however long the chat gets.
 * - `console:messages:<id>`: the chat's messages, oldest first, an append-only list
 *   (`Store.append`): adding one never reads or rewrites the others.
 * - `console:seen:<id>:<created>:<message id>`: a mark per user message, so a retried message is
 *   shown once without reading the list. It lives 15 minutes (`SEEN_TTL_MS`), not the chat's
 *   life: a retry comes within minutes, and a mark per message kept for days is what bounded
 *   memory rules out (issue 11).
 * - one index key listing chat ids, so the chat list never scans keys (`Store.keys` is for
 *   start-up sweeps, not hot paths), and one listing queued chats.
 *
 * This class only reads and writes; callers serialize writes to one chat (see `chat-lock.ts`).
 * The index and the queue are versioned values changed by compare-and-set (`updateVersioned`),
 * so processes adding chats at once all land; a queue per key in this process keeps its own
 * writers from contending with each other.
 */
import type { HistoryEntry, Store } from '../../../bots/core/ports';
import { type Chat, type ChatMessage, preview } from './chat-record';
import { KeyedQueue } from '../../../bots/core/keyed-queue';
import { updateVersioned } from '../../../bots/core/versioned';

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
 * How long a user message's `seen` mark lasts: as long as the broker's de-duplication marks
 * (`DEDUPE_TTL_MS`), the window in which a platform or the broker retries a message.
 */
export const SEEN_TTL_MS = 15 * 60 * 1000;

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

export class ChatRepo {
  private readonly indexQueue = new KeyedQueue();

  constructor(
    private readonly store: Store,
    private readonly ttls: ChatTtls,
  ) {}

  /** The chat without its messages. A fresh copy: callers may change it freely. */
  async get(id: string): Promise<Chat | undefined> {
    // The Store port hands out a freshly deserialized value on every get (both engines keep
    // JSON), so no other copy is needed.
    const stored = await this.store.get<StoredChat>(CHAT_KEY_PREFIX + id);
    if (!stored) return undefined;
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
  }

  /**
   * Write a chat with the TTL its status deserves; `listed: false` also adds it to the index.
   * Details that only repeat the title (a one-line description) are not stored twice; `get`
   * puts them back.
   */
  async put(chat: Chat, options: { listed: boolean }): Promise<void> {
    const { id, details, history, agents, messageCount, earlierMessages, ...rest } = chat;
    const stored: StoredChat = {
      ...rest,
      ...(details !== chat.title ? { details } : {}),
      history: history.map((h) => (h.text === chat.title ? { from: h.from, at: h.at } : h)),
      ...(agents.length > 0 ? { agents } : {}),
      ...(messageCount > 0 ? { messageCount } : {}),
      // Kept under the name they were stored with.
      ...(earlierMessages ? { messages: earlierMessages } : {}),
    };
    await this.store.set(CHAT_KEY_PREFIX + id, stored, this.ttlOf(chat));
    if (!options.listed) await this.addToIndex(id);
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
    return this.store.claim(this.seenKey(chat, messageId), SEEN_TTL_MS);
  }

  /** Forget a claim whose message could not be stored, so a retry is not dropped. */
  async forgetSight(chat: Chat, messageId: string): Promise<void> {
    await this.store.delete(this.seenKey(chat, messageId));
  }

  /** Every chat still in the store; ids whose record expired are dropped from the index. */
  async list(): Promise<Chat[]> {
    const ids = (await this.store.get<string[]>(INDEX_KEY)) ?? [];
    const chats = await Promise.all(ids.map((id) => this.get(id)));
    const gone = ids.filter((_, i) => chats[i] === undefined);
    if (gone.length > 0) await this.removeFromIndex(gone);
    return chats.filter((c): c is Chat => c !== undefined);
  }

  /** Put a chat on (or take it off) the queue list; resolves with its 1-based position (0 when off). */
  setQueued(id: string, queued: boolean): Promise<number> {
    return this.indexQueue.run(QUEUE_KEY, async () => {
      const ids = await this.updateIds(QUEUE_KEY, (current) => {
        const at = current.indexOf(id);
        if (queued) return at >= 0 ? undefined : [...current, id];
        return at < 0 ? undefined : current.filter((x) => x !== id);
      });
      return queued ? ids.indexOf(id) + 1 : 0;
    });
  }

  private ttlOf(chat: Chat): number {
    return chat.status === 'ended' ? this.ttls.endedMs : this.ttls.openMs;
  }

  private seenKey(chat: Chat, messageId: string): string {
    return `${SEEN_KEY_PREFIX}${chat.id}:${chat.createdAt}:${messageId}`;
  }

  private addToIndex(id: string): Promise<void> {
    return this.indexQueue.run(INDEX_KEY, async () => {
      await this.updateIds(INDEX_KEY, (ids) => (ids.includes(id) ? undefined : [...ids, id]));
    });
  }

  private removeFromIndex(gone: string[]): Promise<void> {
    return this.indexQueue.run(INDEX_KEY, async () => {
      const drop = new Set(gone);
      await this.updateIds(INDEX_KEY, (ids) => {
        const kept = ids.filter((id) => !drop.has(id));
        return kept.length === ids.length ? undefined : kept;
      });
    });
  }

  /**
   * Compare-and-set of an id list (`undefined` from `change`: no write). Twice the open TTL: a
   * list must outlive any chat it names; `list` prunes stale ids. Lists written by earlier
   * versions with a plain `set` are version 0, which the first update takes over.
   */
  private async updateIds(key: string, change: (ids: string[]) => string[] | undefined): Promise<string[]> {
    return (await updateVersioned<string[]>(this.store, key, (ids) => change(ids ?? []), this.ttls.openMs * 2)) ?? [];
  }
}
