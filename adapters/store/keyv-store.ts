/**
 * The `Store` port on keyv 5: an in-process Map by default, Redis (`@keyv/redis`) when configured.
 *
 * `get`/`set`/`delete` go through keyv for both engines. What keyv cannot do, we do next to it,
 * on the same keys and in the same value format, so `get` sees the results:
 * - `claim` needs "set if absent" in one step. Keyv only offers has-then-set, which races.
 * - `keys` on Redis: keyv's iterator scans the whole namespace and fetches every value; a `SCAN`
 *   with a `MATCH` on the prefix does the filtering in Redis and fetches no values.
 * - `ping` on Redis: keyv has no health check.
 *
 * Every failure of the backing store surfaces as `BridgeError('store_unavailable')`, so callers
 * never mistake an outage for a missing key.
 */
import { Keyv } from 'keyv';
import type { Store } from '../../bots/core/ports';
import { checkTtl, describeError, storeUnavailable } from './errors';
import { jsonDeserialize, jsonSerialize } from './json';
import type { RedisConnection } from './redis';

/** The value a successful `claim` stores: `get` of a claimed key resolves `true`. */
export const CLAIMED = true;

/** How often the memory engine drops expired entries (keyv only drops them when read). */
const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

/** Characters that are special in Redis `MATCH` patterns. */
const GLOB_SPECIALS = /[*?[\]\\]/g;

/** Escape `text` so a Redis `MATCH` pattern matches it literally. */
export function escapeGlob(text: string): string {
  return text.replace(GLOB_SPECIALS, '\\$&');
}

/**
 * A value JSON cannot hold (BigInt, a cycle) is the caller's bug, not an outage, so it is not
 * reported as `store_unavailable`. By name, not `instanceof`, to hold across realms.
 */
function isCallerError(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  return name === 'TypeError' || name === 'RangeError';
}

export interface MemoryStoreOptions {
  /** Purge expired entries this often, so write-once keys (dedupe marks) do not pile up. */
  sweepIntervalMs?: number;
}

export class KeyvStore implements Store {
  /** For logs and error details. */
  readonly engine: 'memory' | 'redis';
  private closed = false;
  /** Calls in progress, so `close` can let them finish before dropping the connection. */
  private readonly inflight = new Set<Promise<unknown>>();
  private sweepTimer?: NodeJS.Timeout;

  /** One process only; contents are lost on restart. */
  static memory(namespace: string, options: MemoryStoreOptions = {}): KeyvStore {
    const keyv = new Keyv({
      namespace,
      // The Map belongs to this store alone, so a prefix separates nothing. keyv's prefixing is
      // also lossy: it skips keys that already start with `<namespace>:`, so with namespace
      // `lab` the keys `lab:x` and `x` would be the same entry.
      useKeyPrefix: false,
      throwOnErrors: true,
      serialize: jsonSerialize,
      deserialize: jsonDeserialize,
    });
    const store = new KeyvStore(keyv);
    store.startSweeping(options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
    return store;
  }

  /** Shared by every process on the same Redis and namespace; survives restarts. */
  static redis(connection: RedisConnection): KeyvStore {
    return new KeyvStore(connection.keyv, connection);
  }

  private constructor(
    private readonly keyv: Keyv,
    private readonly redis?: RedisConnection,
  ) {
    this.engine = redis ? 'redis' : 'memory';
  }

  async get<T>(key: string): Promise<T | undefined> {
    return this.run('get', key, () => this.bounded(this.keyv.get<T>(key)));
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    const ttl = checkTtl('set', key, ttlMs);
    await this.run('set', key, () => this.bounded(this.keyv.set(key, value, ttl)));
  }

  async delete(key: string): Promise<void> {
    await this.run('delete', key, () => this.bounded(this.keyv.delete(key)));
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const ttl = checkTtl('claim', key, ttlMs);
    return this.run('claim', key, async () =>
      this.redis ? this.claimInRedis(this.redis, key, ttl) : this.claimInMemory(key, ttl),
    );
  }

  async keys(prefix: string): Promise<string[]> {
    const found = await this.run('keys', prefix, () =>
      this.redis ? this.scanRedis(this.redis, prefix) : this.scanMemory(prefix),
    );
    return found.sort();
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    if (!this.redis) return true;
    const { client, timeouts } = this.redis;
    // Offline (reconnecting or closed): answer at once rather than wait for a timeout.
    if (!client.isReady) return false;
    try {
      return String(await this.bounded(client.ping(), timeouts.pingTimeoutMs)) === 'PONG';
    } catch {
      return false; // readiness probes want a yes/no, never an exception
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    // Each Redis command has a deadline (see `bounded`), so this wait is bounded too.
    await Promise.allSettled([...this.inflight]);
    if (!this.redis) {
      await this.keyv.clear();
      return;
    }
    // Not `keyv.disconnect()`: it sends QUIT and waits for replies to everything still queued
    // in node-redis, including commands that already timed out on our side, so against a Redis
    // that stopped answering it never returns. Our own calls have settled above; drop the socket.
    const { client } = this.redis;
    if (client.isOpen) client.destroy();
  }

  // -------------------------------------------------------------------------------------------

  /** Runs one call: refuses after `close`, and turns store failures into `store_unavailable`. */
  private async run<T>(op: string, key: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) {
      throw storeUnavailable(`Store ${op} failed: the store is closed`, undefined, { key, engine: this.engine });
    }
    const call = (async () => fn())(); // a synchronous throw becomes a rejection like the rest
    this.inflight.add(call);
    try {
      return await call;
    } catch (e) {
      if (isCallerError(e)) throw e;
      throw storeUnavailable(`Store ${op} failed: ${describeError(e)}`, e, { key, engine: this.engine });
    } finally {
      this.inflight.delete(call);
    }
  }

  /**
   * Check-and-set on the Map with no `await` in between, so it is atomic on Node's single
   * thread. (Going through keyv's async `has` then `set` would let 20 concurrent claims all see
   * the key absent.) Entries have keyv's format, `{ value, expires }` as JSON, so `get` and the
   * expiry checks treat a claim like any other entry.
   */
  private claimInMemory(key: string, ttlMs: number): boolean {
    const map = this.memoryMap();
    const raw = map.get(key);
    if (typeof raw === 'string') {
      const expires = jsonDeserialize(raw)?.expires;
      const expired = typeof expires === 'number' && Date.now() > expires;
      if (!expired) return false;
    }
    map.set(key, jsonSerialize({ value: CLAIMED, expires: Date.now() + ttlMs }));
    return true;
  }

  /**
   * `SET key value NX PX ttl`: atomic across processes. The key and value are what keyv itself
   * would write (`<namespace>::key`, `{ value, expires }`), so `get` and `keys` see claims.
   */
  private async claimInRedis(redis: RedisConnection, key: string, ttlMs: number): Promise<boolean> {
    const envelope = jsonSerialize({ value: CLAIMED, expires: Date.now() + ttlMs });
    const reply = await this.bounded(
      redis.client.set(redis.keyPrefix + key, envelope, { condition: 'NX', expiration: { type: 'PX', value: ttlMs } }),
    );
    return reply === 'OK'; // null when the key already existed
  }

  /** keyv's iterator skips (and deletes) expired entries. */
  private async scanMemory(prefix: string): Promise<string[]> {
    const found: string[] = [];
    for await (const [key] of this.memoryIterator()) {
      if (typeof key === 'string' && key.startsWith(prefix)) found.push(key);
    }
    return found;
  }

  /**
   * `SCAN` (never `KEYS`, which blocks Redis) with `MATCH` on the escaped prefix. Redis does not
   * return keys whose TTL has passed. `SCAN` may return a key twice; the Set removes repeats.
   */
  private async scanRedis(redis: RedisConnection, prefix: string): Promise<string[]> {
    const { client, keyPrefix } = redis;
    const match = `${escapeGlob(keyPrefix + prefix)}*`;
    const found = new Set<string>();
    let cursor = '0';
    do {
      // The deadline is per page: a large namespace may take several.
      const page = await this.bounded(client.scan(cursor, { MATCH: match, COUNT: 500 }));
      cursor = String(page.cursor);
      for (const fullKey of page.keys) found.add(String(fullKey).slice(keyPrefix.length));
    } while (cursor !== '0');
    return [...found];
  }

  /**
   * A deadline for one Redis command. node-redis has none once a command is on the wire
   * (its `timeout` option stops at the write), so a Redis that is connected but stopped answering
   * would hold callers forever. The command itself stays queued in node-redis; its late reply,
   * if any, is dropped. Memory calls finish at once and are not wrapped.
   */
  private bounded<T>(call: Promise<T>, ms = this.redis?.timeouts.commandTimeoutMs): Promise<T> {
    if (!this.redis || ms === undefined) return call;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no reply from Redis within ${ms} ms`)), ms);
    });
    return Promise.race([call, deadline]).finally(() => clearTimeout(timer));
  }

  private memoryMap(): Map<string, unknown> {
    const map: unknown = this.keyv.store;
    if (!(map instanceof Map)) throw new Error('KeyvStore: the memory engine expects a Map store');
    return map as Map<string, unknown>;
  }

  private memoryIterator(): AsyncGenerator<[unknown, unknown], void> {
    if (!this.keyv.iterator) throw new Error('KeyvStore: keyv offers no iterator for this store');
    return this.keyv.iterator(undefined);
  }

  /** Reading every entry through keyv's iterator deletes the expired ones. */
  private startSweeping(intervalMs: number): void {
    this.sweepTimer = setInterval(() => {
      void this.run('sweep', '', async () => {
        for await (const _ of this.memoryIterator()) void _;
      }).catch(() => undefined); // a failed sweep is retried at the next tick
    }, intervalMs);
    // A sweep must never keep the process alive on its own.
    this.sweepTimer.unref();
  }
}
