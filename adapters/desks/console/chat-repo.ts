/**
 * Where console chats live in the `Store`: one key per chat plus one index key listing chat ids,
 * so the chat list never scans keys (`Store.keys` is for start-up sweeps, not hot paths).
 *
 * This class only reads and writes; callers serialize writes to one chat (see `KeyedQueue`).
 * The index has its own queue because every new chat touches it.
 */
import type { Store } from '../../../bots/core/ports';
import type { ChatRecord } from './chat-record';
import { KeyedQueue } from '../../../bots/core/keyed-queue';

export const CHAT_KEY_PREFIX = 'console:chat:';
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

export class ChatRepo {
  private readonly indexQueue = new KeyedQueue();

  constructor(
    private readonly store: Store,
    private readonly ttls: ChatTtls,
  ) {}

  async get(id: string): Promise<ChatRecord | undefined> {
    // The Store port hands out a freshly deserialized value on every get (both engines keep
    // JSON), so callers may change it freely without another copy.
    const chat = await this.store.get<ChatRecord>(CHAT_KEY_PREFIX + id);
    if (chat && chat.details === undefined) chat.details = chat.title;
    return chat;
  }

  /**
   * Write a chat with the TTL its status deserves; `listed: false` also adds it to the index.
   * Details that only repeat the title (a one-line description) are not stored twice; `get`
   * puts them back.
   */
  async put(chat: ChatRecord, options: { listed: boolean }): Promise<void> {
    const ttl = chat.status === 'ended' ? this.ttls.endedMs : this.ttls.openMs;
    const stored = chat.details === chat.title ? { ...chat, details: undefined } : chat;
    await this.store.set(CHAT_KEY_PREFIX + chat.id, stored, ttl);
    if (!options.listed) await this.addToIndex(chat.id);
  }

  /** Every chat still in the store; ids whose record expired are dropped from the index. */
  async list(): Promise<ChatRecord[]> {
    const ids = (await this.store.get<string[]>(INDEX_KEY)) ?? [];
    const chats = await Promise.all(ids.map((id) => this.get(id)));
    const gone = ids.filter((_, i) => chats[i] === undefined);
    if (gone.length > 0) await this.removeFromIndex(gone);
    return chats.filter((c): c is ChatRecord => c !== undefined);
  }

  /** Put a chat on (or take it off) the queue list; resolves with its 1-based position (0 when off). */
  setQueued(id: string, queued: boolean): Promise<number> {
    return this.indexQueue.run(QUEUE_KEY, async () => {
      const ids = (await this.store.get<string[]>(QUEUE_KEY)) ?? [];
      const at = ids.indexOf(id);
      if (queued && at >= 0) return at + 1;
      if (!queued && at < 0) return 0;
      const next = queued ? [...ids, id] : ids.filter((x) => x !== id);
      await this.store.set(QUEUE_KEY, next, this.ttls.openMs * 2);
      return queued ? next.length : 0;
    });
  }

  private addToIndex(id: string): Promise<void> {
    return this.indexQueue.run(INDEX_KEY, async () => {
      const ids = (await this.store.get<string[]>(INDEX_KEY)) ?? [];
      if (ids.includes(id)) return;
      // Twice the open TTL: the index must outlive any chat it lists; `list` prunes stale ids.
      await this.store.set(INDEX_KEY, [...ids, id], this.ttls.openMs * 2);
    });
  }

  private removeFromIndex(gone: string[]): Promise<void> {
    return this.indexQueue.run(INDEX_KEY, async () => {
      const ids = (await this.store.get<string[]>(INDEX_KEY)) ?? [];
      const drop = new Set(gone);
      const kept = ids.filter((id) => !drop.has(id));
      if (kept.length !== ids.length) await this.store.set(INDEX_KEY, kept, this.ttls.openMs * 2);
    });
  }
}
