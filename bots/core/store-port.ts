/**
 * The `Store` port: key/value state with TTLs, plus what several processes need to act as one
 * (atomic claims and appends, leases with fencing tokens, versioned writes, pub/sub, the per-user
 * inbox). Kept apart from `ports.ts` because it is the largest port; `ports.ts` re-exports it.
 */

/** The lease `Store.appendIfNew` tries to take with its append. */
export interface TakeLease {
  name: string;
  owner: string;
  ttlMs: number;
  /**
   * A key to read too when the lease is won: what the new holder reads first anyway (the
   * user's conversation), in the same round trip. On Redis Cluster it shares the list's slot.
   */
  read?: string;
}

export interface AppendResult<T> {
  appended: boolean;
  /** With `take`: the lease when it was won, and then the list's entries, oldest first. */
  lease?: Lease;
  entries?: T[];
  /** With `take.read` and the lease won: the value at that key (`value` undefined when absent). */
  read?: { value: unknown };
}

/** What `Store.settleHead` does besides removing nothing. */
export interface SettleOptions {
  /** Remove the list's head if it is the entry with this id. */
  headId?: string;
  /** Values to write first, as `set` would. */
  writes?: { key: string; value: unknown; ttlMs: number }[];
  /** Release the lease when the list is empty afterwards. */
  release?: boolean;
}

export interface SettleResult {
  /** The list's length afterwards. */
  remaining: number;
  released: boolean;
}

/**
 * Key/value state. Values are JSON-serializable. Every write carries a TTL so nothing lives
 * forever. Implementations: `adapters/store` (keyv memory, keyv Redis).
 */
export interface Store {
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Atomically set `key` only if it is absent. Resolves true when this call created it.
   * Used for de-duplication across processes.
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /**
   * Append `value` at the end of the list stored at `key` (a new list when there is none) and
   * set the whole list's TTL to `ttlMs`, so a list lives as long as its latest append says.
   * Resolves with the list's length after the append. Atomic, also across processes: concurrent
   * appends all land, each once. Its cost does not grow with the list, unlike reading a value,
   * adding to it and writing it back; use it for logs that only grow (a chat's messages).
   *
   * A key holds either a value (`get`/`set`/`claim`) or a list (`append`/`list`). `delete`,
   * `keys` and expiry treat both alike, and `set` replaces a list like any value; reading or
   * appending to a key as the other kind is a caller error (a `TypeError`, not an outage).
   */
  append<T>(key: string, value: T, ttlMs: number): Promise<number>;
  /** Every value appended to `key`, oldest first, as fresh copies; `[]` when there is no list. */
  list<T>(key: string): Promise<T[]>;
  /** Keys that start with `prefix` (for start-up sweeps; not for hot paths). */
  keys(prefix: string): Promise<string[]>;

  // Ownership across processes: leases with fencing tokens (see `Lease`). A lease lives at key
  // `name` like any value (`keys` lists it, `delete` drops it and its token count); read it with
  // `leaseHolder`, change it only with the lease calls. Atomic on both engines; on Redis the
  // lease's time is Redis's own clock, so process clocks need not agree.

  /**
   * Take the lease `name` for `ttlMs` unless someone (`owner` included) holds it. Resolves the
   * lease with a fencing token, a number that strictly increases with every acquisition of
   * `name` across processes; undefined while it is held. An expired lease is free to take.
   */
  acquireLease(name: string, owner: string, ttlMs: number): Promise<Lease | undefined>;
  /** Extend a lease still held with this owner and token to `ttlMs` from now; false once lost. */
  renewLease(name: string, owner: string, token: number, ttlMs: number): Promise<boolean>;
  /** Give a lease up (free at once for the next `acquireLease`); false when it was lost already. */
  releaseLease(name: string, owner: string, token: number): Promise<boolean>;
  /** Who holds the lease now; undefined when nobody does (never taken, released or expired). */
  leaseHolder(name: string): Promise<LeaseHolder | undefined>;
  /**
   * `set`, only while `lease` is held with its token: false (and nothing written) once the lease
   * is lost, so a stale owner cannot overwrite what the new owner writes. On Redis Cluster the
   * lease and `key` must share a hash slot.
   */
  setIfLeaseHeld<T>(lease: Lease, key: string, value: T, ttlMs: number): Promise<boolean>;
  /** `claim`, only while `lease` is held with its token: `lost` (and nothing written) once lost; same slot rule. */
  claimIfLeaseHeld(lease: Lease, key: string, ttlMs: number): Promise<'claimed' | 'taken' | 'lost'>;

  // Inboxes: a list of entries (objects whose first property is a string `id`) that processes
  // append to and the holder of a lease consumes head-first (the broker's per-user inbox).

  /**
   * In one atomic step: `claim` every key of `marks` (each for `markTtlMs`) and, when all of them
   * were new, `append` `value` to the list `listKey` (TTL `listTtlMs`) and, with `take`, try to
   * acquire that lease (as `acquireLease`) and, when it is won, read the whole list. `appended`
   * false when any mark was there already: then nothing is appended and no lease taken (the other
   * marks are claimed all the same, as separate `claim` calls would). The value must be an object
   * whose first property is `id`. On Redis Cluster the list and the lease must share a hash slot.
   */
  appendIfNew<T extends { id: string }>(
    marks: string[],
    markTtlMs: number,
    listKey: string,
    value: T,
    listTtlMs: number,
    take?: TakeLease,
  ): Promise<AppendResult<T>>;
  /**
   * Under `lease` (fenced like `setIfLeaseHeld`), in one atomic step: write each of `writes`;
   * remove the head of the list `listKey` when it is the entry `headId`; then, with `release`,
   * release the lease if the list is empty. `lost` (nothing done) once the lease is lost; else the
   * list's length afterwards and whether the lease was released. On Redis Cluster the lease, the
   * list and the written keys must share a hash slot.
   */
  settleHead(lease: Lease, listKey: string, options: SettleOptions): Promise<SettleResult | 'lost'>;

  // Compare-and-set. A value's version counts `setVersioned` writes: 1 after the first, and back
  // to absent when the key expires or is deleted. A plain `set` makes it unversioned again
  // (version 0), so do not mix the two on one key. `get` reads a versioned value like any other.

  /** The value with its version; undefined when absent (a `set` value has version 0). */
  getVersioned<T>(key: string): Promise<Versioned<T> | undefined>;
  /**
   * Write `value` (version `expectedVersion + 1`) only if the key is still at `expectedVersion`
   * (0: absent or unversioned). False when another write came first: read again and retry (see
   * `updateVersioned` in `bots/core/versioned.ts`).
   */
  setVersioned<T>(key: string, value: T, expectedVersion: number, ttlMs: number): Promise<boolean>;

  // Pub/sub for live views across processes. At most once and not kept: a subscriber that is
  // not connected when a message is published misses it, so keep the truth in the store and
  // publish what changed. Channels are namespaced like keys.

  /** Send a JSON value to every subscriber of `channel`, in every process on the same store. */
  publish<T>(channel: string, message: T): Promise<void>;
  /**
   * Call `handler` with a fresh copy of every message published on `channel` from now on (the
   * subscription is active when this resolves), in publish order, never inside `publish`. A
   * handler that throws or rejects is logged and does not stop the others. Resolves a function
   * that ends this subscription.
   */
  subscribe<T>(channel: string, handler: (message: T) => void | Promise<void>): Promise<() => Promise<void>>;
  /** Whether the backing store answers (readiness). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** A lease as its holder knows it: pass it back to renew, release, or fence writes. */
export interface Lease {
  name: string;
  owner: string;
  /** Fencing token: larger for every later acquisition of `name`. */
  token: number;
}

/** The current holder of a lease. */
export interface LeaseHolder {
  owner: string;
  token: number;
}

/** A value read with its version, for `setVersioned`. */
export interface Versioned<T> {
  value: T;
  /** 1 and up for `setVersioned` writes; 0 for a value written with `set`. */
  version: number;
}
