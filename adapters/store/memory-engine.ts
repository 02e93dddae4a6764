/**
 * The memory engine of `KeyvStore`: keyv's Map, read and written here directly in keyv's place
 * (same keys, the same value format as keyv's `serialize` gives it, see `memorySerialize`),
 * because keyv's per-call hooks, statistics and promise hops cost several percent of the
 * bridge's CPU when relaying (bench/README.md). keyv still iterates (`keys`, sweeps) and clears
 * it. Lists (`append`/`list`) live in a Map of their own next to keyv's.
 *
 * Every method works on the Maps synchronously, with no `await` in between, so each call is
 * atomic on Node's single thread (what `claim` and the coordination cells rely on). The caller
 * (`KeyvStore`) turns failures into the Store's errors.
 */
import type { Keyv } from 'keyv';
import type { InProcessCells } from './in-process';
import {
  flat,
  jsonDeserialize,
  jsonFlat,
  memoryDeserialize,
  memoryExpires,
  memoryJson,
  memorySerialize,
  memoryVersion,
  memoryVersionedEntry,
} from './json';

/** The value a successful `claim` stores: `get` of a claimed key resolves `true`. */
export const CLAIMED = true;

/**
 * A list in the memory engine, its values as JSON like keyv keeps values. A list of one value
 * (most chats' message lists while they wait or idle) is kept as one string in the memory
 * engine's value format, `<expires>|<json>`, which saves the object, array and number of the
 * longer form: about 90 bytes per list.
 */
type MemoryList = string | { items: string[] /** Epoch ms. */; expires: number };

function listExpires(list: MemoryList): number {
  return typeof list === 'string' ? (memoryExpires(list) ?? 0) : list.expires;
}

function listItems(list: MemoryList): string[] {
  return typeof list === 'string' ? [list.slice(list.indexOf('|') + 1)] : list.items;
}

export function noJson(key: string): TypeError {
  return new TypeError(`Store.append(${JSON.stringify(key)}): the value has no JSON form`);
}

function wrongKind(key: string, holds: 'a list' | 'a value'): TypeError {
  return new TypeError(`Store: ${JSON.stringify(key)} holds ${holds}; a key is either a value (get/set/claim) or a list (append/list)`);
}

export class MemoryEngine {
  /** keyv's Map (see `map`). */
  private mapCache?: Map<string, unknown>;
  /** Lists by key. */
  private readonly lists = new Map<string, MemoryList>();

  constructor(private readonly keyv: Keyv) {}

  get<T>(key: string): T | undefined {
    if (this.liveList(key)) throw wrongKind(key, 'a list');
    const raw = this.value(key);
    return raw === undefined ? undefined : (memoryDeserialize<T>(raw)?.value as T | undefined);
  }

  set(key: string, value: unknown, ttl: number): void {
    // Serialized first: a value JSON cannot hold fails before anything changes.
    const text = memorySerialize({ value, expires: Date.now() + ttl });
    // As Redis `SET` does, a value replaces a list.
    this.lists.delete(key);
    this.map().set(key, text);
  }

  delete(key: string): void {
    this.lists.delete(key);
    this.map().delete(key);
  }

  append(key: string, value: unknown, ttl: number): number {
    // Serialized first, so a value JSON cannot hold fails before anything is written.
    const json = jsonFlat(value);
    if (json === undefined) throw noJson(key);
    return this.appendJson(key, json, ttl);
  }

  list<T>(key: string): T[] {
    const list = this.liveList(key);
    if (!list) {
      if (this.value(key) !== undefined) throw wrongKind(key, 'a value');
      return [];
    }
    return listItems(list).map((item) => jsonDeserialize(item) as T);
  }

  /**
   * Check-and-set on the Map with no `await` in between, so it is atomic on Node's single
   * thread. (Going through keyv's async `has` then `set` would let 20 concurrent claims all see
   * the key absent.) Entries have the memory engine's format (`memorySerialize`), so `get` and
   * the expiry checks treat a claim like any other entry.
   */
  claim(key: string, ttlMs: number): boolean {
    // A list is a key too (Redis `SET NX` sees it).
    if (this.liveList(key) || this.value(key) !== undefined) return false;
    this.map().set(key, memorySerialize({ value: CLAIMED, expires: Date.now() + ttlMs }));
    return true;
  }

  /** keyv's iterator skips (and deletes) expired entries. */
  async keys(prefix: string): Promise<string[]> {
    const found: string[] = [];
    for await (const [key] of this.iterator()) {
      if (typeof key === 'string' && key.startsWith(prefix)) found.push(key);
    }
    for (const key of [...this.lists.keys()]) {
      if (key.startsWith(prefix) && this.liveList(key)) found.push(key);
    }
    return found;
  }

  /** When `key` expires (epoch ms), undefined when absent. */
  expiresAt(key: string): number | undefined {
    const list = this.liveList(key);
    if (list !== undefined) return listExpires(list);
    const raw = this.value(key);
    return raw === undefined ? undefined : memoryExpires(raw);
  }

  /** Reading every entry through keyv's iterator deletes the expired ones. */
  async sweep(): Promise<void> {
    for await (const _ of this.iterator()) void _;
    for (const key of [...this.lists.keys()]) this.liveList(key);
  }

  async clear(): Promise<void> {
    this.lists.clear();
    await this.keyv.clear();
  }

  /** The engine's keys as `InProcessCoordination` reads and writes them. */
  cells(): InProcessCells {
    return {
      now: Date.now,
      read: (key) => {
        if (this.liveList(key)) throw wrongKind(key, 'a list');
        const raw = this.value(key);
        return raw === undefined ? undefined : { json: memoryJson(raw), version: memoryVersion(raw) };
      },
      write: (key, json, ttl, version) => {
        this.lists.delete(key);
        this.map().set(key, memoryVersionedEntry(json, Date.now() + ttl, version));
      },
      claim: (key, ttl) => this.claim(key, ttl),
      append: (key, json, ttl) => this.appendJson(key, json, ttl),
      list: (key) => {
        const list = this.liveList(key);
        if (!list && this.value(key) !== undefined) throw wrongKind(key, 'a value');
        return list ? listItems(list) : [];
      },
      shift: (key) => {
        const list = this.liveList(key);
        if (list === undefined) return;
        if (typeof list === 'string' || list.items.length <= 1) this.lists.delete(key);
        else list.items.shift();
      },
    };
  }

  /** A live value's stored text; an expired one is dropped. */
  private value(key: string): string | undefined {
    const map = this.map();
    const raw = map.get(key);
    if (typeof raw !== 'string') return undefined;
    const expires = memoryExpires(raw);
    if (typeof expires === 'number' && Date.now() > expires) {
      map.delete(key);
      return undefined;
    }
    return raw;
  }

  private appendJson(key: string, json: string, ttl: number): number {
    if (this.value(key) !== undefined) throw wrongKind(key, 'a value');
    const expires = Date.now() + ttl;
    const list = this.liveList(key);
    if (!list) {
      this.lists.set(key, flat(`${expires}|${json}`));
      return 1;
    }
    if (typeof list === 'string') {
      this.lists.set(key, { items: [...listItems(list), json], expires });
      return 2;
    }
    list.items.push(json);
    list.expires = expires;
    return list.items.length;
  }

  /** The list at `key` unless it expired (an expired one is dropped here). */
  private liveList(key: string): MemoryList | undefined {
    const list = this.lists.get(key);
    if (list !== undefined && Date.now() > listExpires(list)) {
      this.lists.delete(key);
      return undefined;
    }
    return list;
  }

  private map(): Map<string, unknown> {
    if (this.mapCache) return this.mapCache;
    const map: unknown = this.keyv.store;
    if (!(map instanceof Map)) throw new Error('KeyvStore: the memory engine expects a Map store');
    this.mapCache = map as Map<string, unknown>;
    return this.mapCache;
  }

  private iterator(): AsyncGenerator<[unknown, unknown], void> {
    if (!this.keyv.iterator) throw new Error('KeyvStore: keyv offers no iterator for this store');
    return this.keyv.iterator(undefined);
  }
}
