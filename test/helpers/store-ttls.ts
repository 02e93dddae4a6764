/**
 * Every key of a bridge's store with the time it has left, read from the engine itself: Redis
 * answers `PTTL` over a client of the test's own, the memory engine its stored expiry. For
 * tests of what a relayed message leaves behind and for how long.
 */
import { createClient } from '@keyv/redis';
import { KeyvStore } from '../../adapters/store';
import type { Store } from '../../bots/core/ports';

/** Key (without the namespace prefix) -> milliseconds left; Infinity for a key without expiry. */
export async function storeTtls(store: Store, redis?: { url: string; namespace: string }): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!redis) {
    if (!(store instanceof KeyvStore)) throw new Error('storeTtls: expected the memory KeyvStore');
    const now = Date.now();
    for (const key of await store.keys('')) {
      const at = await store.expiresAt(key);
      if (at !== undefined) out.set(key, at - now);
    }
    return out;
  }
  const client = createClient({ url: redis.url });
  await client.connect();
  try {
    const prefix = `${redis.namespace}::`;
    let cursor = '0';
    do {
      const page = await client.scan(cursor, { MATCH: `${prefix}*`, COUNT: 1000 });
      cursor = String(page.cursor);
      for (const full of page.keys) {
        const ms = Number(await client.pTTL(full));
        if (ms === -2) continue; // gone meanwhile
        out.set(String(full).slice(prefix.length), ms === -1 ? Infinity : ms);
      }
    } while (cursor !== '0');
  } finally {
    client.destroy();
  }
  return out;
}

/** Delete every key of a test namespace: the benchmark's own flush, one implementation. */
export { flushNamespace as dropNamespace } from '../../bench/lib/redis-info';
