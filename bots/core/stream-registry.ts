/**
 * The open chats of one stream desk, in the Store, so every process can find chats whose
 * connection has no owner. Written when a chat opens and removed when it ends; read only by the
 * takeover scan (every few seconds), never on a message's path.
 *
 * Kept in a fixed number of buckets (each one versioned value, `updateVersioned`), so concurrent
 * opens and ends on several processes land without losing one another, and contend on one key
 * per bucket rather than all on one; a scan reads the buckets, not `keys()`. Each entry carries
 * the time it stops counting (`until`), so an entry a crashed process could not remove expires.
 */
import { streamKeys } from './chat-streams';
import type { Clock, Store } from './ports';
import { updateVersioned } from './versioned';

/** Enough to spread a few hundred concurrent chats; a scan reads them all. */
export const REGISTRY_BUCKETS = 8;

interface Entry {
  id: string;
  until: number;
}

export class StreamRegistry {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly desk: string,
    private readonly ttlMs: number,
  ) {}

  async add(sessionId: string): Promise<void> {
    const until = this.clock.now() + this.ttlMs;
    await this.update(sessionId, (entries) => [...entries.filter((e) => e.id !== sessionId), { id: sessionId, until }]);
  }

  async remove(sessionId: string): Promise<void> {
    await this.update(sessionId, (entries) =>
      entries.some((e) => e.id === sessionId) ? entries.filter((e) => e.id !== sessionId) : undefined,
    );
  }

  /** Every open chat, oldest entry first per bucket; drops the expired entries it meets. */
  async all(): Promise<string[]> {
    const now = this.clock.now();
    const ids: string[] = [];
    for (let bucket = 0; bucket < REGISTRY_BUCKETS; bucket++) {
      const key = streamKeys.registry(this.desk, bucket);
      const entries = (await this.store.get<Entry[]>(key)) ?? [];
      if (entries.some((e) => e.until <= now)) {
        await updateVersioned<Entry[]>(this.store, key, (current) => current?.filter((e) => e.until > now), this.ttlMs);
      }
      for (const e of entries) if (e.until > now) ids.push(e.id);
    }
    return ids;
  }

  private async update(sessionId: string, change: (entries: Entry[]) => Entry[] | undefined): Promise<void> {
    const now = this.clock.now();
    await updateVersioned<Entry[]>(
      this.store,
      streamKeys.registry(this.desk, bucketOf(sessionId)),
      (current) => change((current ?? []).filter((e) => e.until > now)),
      this.ttlMs,
    );
  }
}

/** A stable spread of session ids over the buckets (FNV-1a). */
export function bucketOf(sessionId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < sessionId.length; i++) {
    h ^= sessionId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % REGISTRY_BUCKETS;
}
