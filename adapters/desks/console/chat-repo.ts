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
    const chat = await this.store.get<ChatRecord>(CHAT_KEY_PREFIX + id);
    // A copy, so callers may change it freely even when the store hands out shared objects.
    return chat === undefined ? undefined : structuredClone(chat);
  }

  /** Write a chat with the TTL its status deserves; `listed: false` also adds it to the index. */
  async put(chat: ChatRecord, options: { listed: boolean }): Promise<void> {
    const ttl = chat.status === 'ended' ? this.ttls.endedMs : this.ttls.openMs;
    await this.store.set(CHAT_KEY_PREFIX + chat.id, chat, ttl);
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
