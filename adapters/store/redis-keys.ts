/**
 * The Redis engine's keys and lists for `KeyvStore`: `get`/`set`/`delete` through keyv, and
 * next to it, on the same keys and in keyv's value format (so `get` sees the results), what
 * keyv cannot do:
 * - `claim` needs "set if absent" in one step. Keyv only offers has-then-set, which races.
 * - `keys`: keyv's iterator scans the whole namespace and fetches every value; a `SCAN` with a
 *   `MATCH` on the prefix does the filtering in Redis and fetches no values.
 * - `append`/`list`: keyv has no lists. They are Redis lists (`RPUSH` and `PEXPIRE` in one
 *   script, `LRANGE`) under the same key prefix, so `keys`, `delete` and expiry see them like
 *   any other key.
 * Each command gets the store's deadline (`bounded`); the caller turns failures into the
 * Store's errors.
 */
import { noJson } from './errors';
import { CLAIMED, jsonDeserialize, jsonSerialize } from './json';
import type { RedisConnection } from './redis';

/** Characters that are special in Redis `MATCH` patterns. */
const GLOB_SPECIALS = /[*?[\]\\]/g;

/** Escape `text` so a Redis `MATCH` pattern matches it literally. */
export function escapeGlob(text: string): string {
  return text.replace(GLOB_SPECIALS, '\\$&');
}

/** Append and refresh the TTL in one step; a key holding a value fails before the TTL is touched. */
const APPEND_SCRIPT = "local n = redis.call('RPUSH', KEYS[1], ARGV[1]) redis.call('PEXPIRE', KEYS[1], ARGV[2]) return n";

export class RedisKeys {
  constructor(
    private readonly redis: RedisConnection,
    private readonly bounded: <T>(call: Promise<T>) => Promise<T>,
  ) {}

  get<T>(key: string): Promise<T | undefined> {
    return this.bounded(this.redis.keyv.get<T>(key));
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    await this.bounded(this.redis.keyv.set(key, value, ttlMs));
  }

  async delete(key: string): Promise<void> {
    await this.bounded(this.redis.keyv.delete(key));
  }

  async append(key: string, value: unknown, ttlMs: number): Promise<number> {
    const json = JSON.stringify(value);
    if (typeof json !== 'string') throw noJson(key);
    const { client, keyPrefix } = this.redis;
    const reply = await this.bounded(client.eval(APPEND_SCRIPT, { keys: [keyPrefix + key], arguments: [json, String(ttlMs)] }));
    return Number(reply);
  }

  async list<T>(key: string): Promise<T[]> {
    const items = await this.bounded(this.redis.client.lRange(this.redis.keyPrefix + key, 0, -1));
    return items.map((item) => jsonDeserialize(String(item)) as T);
  }

  /**
   * `SET key value NX PX ttl`: atomic across processes. The key and value are what keyv itself
   * would write (`<namespace>::key`, `{ value, expires }`), so `get` and `keys` see claims.
   */
  async claim(key: string, ttlMs: number): Promise<boolean> {
    const envelope = jsonSerialize({ value: CLAIMED, expires: Date.now() + ttlMs });
    const reply = await this.bounded(
      this.redis.client.set(this.redis.keyPrefix + key, envelope, { condition: 'NX', expiration: { type: 'PX', value: ttlMs } }),
    );
    return reply === 'OK'; // null when the key already existed
  }

  /**
   * `SCAN` (never `KEYS`, which blocks Redis) with `MATCH` on the escaped prefix. Redis does not
   * return keys whose TTL has passed. `SCAN` may return a key twice; the Set removes repeats.
   */
  async keys(prefix: string): Promise<string[]> {
    const { client, keyPrefix } = this.redis;
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
}
