/**
 * A list of chat ids under one Store key (an index of every chat, a queue of waiting ones), so a
 * desk lists its chats without scanning keys (`Store.keys` is for start-up sweeps, not hot
 * paths). Changed by compare-and-set (`updateVersioned`), so processes adding ids at once all
 * land; a queue in this process keeps its own writers from contending with each other.
 *
 * Lists written by earlier versions with a plain `set` are version 0, which the first update
 * takes over.
 */
import { KeyedQueue } from '../../../bots/core/keyed-queue';
import type { Store } from '../../../bots/core/ports';
import { updateVersioned } from '../../../bots/core/versioned';

export class IdList {
  private readonly writes = new KeyedQueue();

  /**
   * `ttlMs`: the list's own TTL, renewed on each change; it must outlive any record it names
   * (callers prune ids whose record is gone).
   */
  constructor(
    private readonly store: Store,
    readonly key: string,
    private readonly ttlMs: number,
  ) {}

  /** The ids, oldest first. */
  async ids(): Promise<string[]> {
    return (await this.store.get<string[]>(this.key)) ?? [];
  }

  /** Add `id` at the end unless it is there; resolves with its 1-based position. */
  async add(id: string): Promise<number> {
    const ids = await this.update((current) => (current.includes(id) ? undefined : [...current, id]));
    return ids.indexOf(id) + 1;
  }

  /** Remove every id of `gone` that is there (one write, none when none is). */
  async remove(...gone: string[]): Promise<void> {
    const drop = new Set(gone);
    await this.update((current) => {
      const kept = current.filter((id) => !drop.has(id));
      return kept.length === current.length ? undefined : kept;
    });
  }

  /** `add` or `remove`; resolves with the 1-based position (0 when removed). */
  async set(id: string, member: boolean): Promise<number> {
    if (member) return this.add(id);
    await this.remove(id);
    return 0;
  }

  /** Compare-and-set of the list (`undefined` from `change`: no write); resolves the list now stored. */
  private update(change: (ids: string[]) => string[] | undefined): Promise<string[]> {
    return this.writes.run(
      this.key,
      async () => (await updateVersioned<string[]>(this.store, this.key, (ids) => change(ids ?? []), this.ttlMs)) ?? [],
    );
  }
}
