/**
 * The seam between the memory store's rules (`memory-cells.ts`: expiry, values and lists,
 * claims, the coordination cells) and where its entries are kept. Two engines sit behind it:
 * - `keyv` (`memory-keyv-engine.ts`): keyv 5 through its public API only (`get`, `set`,
 *   `delete`, `iterator`, `clear`), one operation at a time. The reference.
 * - `map` (`memory-map-engine.ts`): Maps of our own, read and written synchronously. The
 *   default, because it is cheaper per call (the benchmark's figures: README, Performance).
 * The Store conformance suite runs against both (test/contract/store.test.ts), TTL expiry
 * included, so the faster one is held to behave like the public path.
 *
 * Expiry is the store's own (an entry's `expires` on the store's clock, which tests inject), not
 * keyv's TTL: keyv reads `Date.now()` and checks expiry only when it reads, while leases and
 * claims must decide "expired?" inside their one atomic step, against the same clock.
 */

export type Maybe<T> = T | Promise<T>;

/** A value: its JSON ('' for `undefined`, as keyv and Redis keep it) and its version (0 unless `setVersioned`). */
export interface MemoryValue {
  readonly json: string;
  /** Epoch ms on the store's clock; the entry is gone from that instant. */
  readonly expires: number;
  readonly version: number;
  readonly items?: undefined;
}

/** A list (`append`/`list`): its items as JSON, in order. */
export interface MemoryList {
  readonly items: readonly string[];
  readonly expires: number;
}

export type MemoryEntry = MemoryValue | MemoryList;

export function isList(entry: MemoryEntry): entry is MemoryList {
  return entry.items !== undefined;
}

/**
 * The entries as one atomic operation sees them. Entries are never changed in place: a write
 * is a new entry (so an engine may hand out what it keeps, and a rerun sees nothing half done).
 */
export interface MemoryEntries {
  /** The entry at `key`, expired or not (the rules decide); undefined when there is none. */
  get(key: string): MemoryEntry | undefined;
  set(key: string, entry: MemoryEntry): void;
  delete(key: string): void;
  /** Every key that has an entry, expired or not. */
  keys(): Iterable<string>;
}

export interface MemoryEngine {
  readonly name: MemoryEngineName;
  /**
   * Runs `op` with no other operation of this engine in between, so a check and the write it
   * decides are one step (claims, leases). `op` is synchronous, touches only `entries`, and may
   * be run more than once before its writes count (the keyv engine reruns it after fetching an
   * entry it asked for), so it must not catch errors it did not throw itself.
   */
  atomically<T>(op: (entries: MemoryEntries) => T): Maybe<T>;
  /** Every stored key, expired or not: a diagnostic (tests see what a sweep left). */
  storedKeys(): Promise<string[]>;
  clear(): Promise<void>;
}

export const memoryEngineNames = ['map', 'keyv'] as const;
export type MemoryEngineName = (typeof memoryEngineNames)[number];
