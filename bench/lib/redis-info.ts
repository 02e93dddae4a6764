/**
 * What the benchmark reads from Redis itself, over a client of its own: Redis's CPU time
 * (`INFO cpu`, user + system, so a Redis run's cost counts Redis's share too), its memory, and
 * every key of a namespace with the time it has left (`PTTL`).
 */
import { createClient } from '@keyv/redis';

function connectClient(url: string) {
  const client = createClient({ url });
  client.on('error', () => undefined);
  return client;
}

type Client = ReturnType<typeof connectClient>;

export class RedisInfo {
  private constructor(private readonly client: Client) {}

  static async connect(url: string): Promise<RedisInfo> {
    const client = connectClient(url);
    await client.connect();
    return new RedisInfo(client);
  }

  /** Cumulative CPU ms of the Redis server (main process: used_cpu_user + used_cpu_sys). */
  async cpuMs(): Promise<number> {
    const info = await this.client.info('cpu');
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(String(info))?.[1] ?? NaN);
    return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
  }

  async usedMemory(): Promise<number> {
    const info = await this.client.info('memory');
    return Number(/^used_memory:(\d+)/m.exec(String(info))?.[1] ?? NaN);
  }

  /** Key (namespace prefix removed) -> ms left; Infinity for a key without expiry. */
  async ttls(namespace: string): Promise<Map<string, number>> {
    const prefix = `${namespace}::`;
    const out = new Map<string, number>();
    let cursor = '0';
    do {
      const page = await this.client.scan(cursor, { MATCH: `${prefix}*`, COUNT: 1000 });
      cursor = String(page.cursor);
      const keys = page.keys.map(String);
      const replies = await Promise.all(keys.map((k) => this.client.pTTL(k)));
      keys.forEach((k, i) => {
        const ms = Number(replies[i]);
        if (ms !== -2) out.set(k.slice(prefix.length), ms === -1 ? Infinity : ms);
      });
    } while (cursor !== '0');
    return out;
  }

  close(): void {
    this.client.destroy();
  }
}

/** Issue 11's bound: besides a message's entry in its chat's log, nothing per message outlives this. */
export const MESSAGE_MARK_LIMIT_MS = 15 * 60 * 1000;

export interface KeyCensus {
  keys: number;
  /** Keys with more than 15 minutes left (or no expiry). */
  longLived: number;
  /** Long-lived keys per prefix (`conv`, `console:chat`, ...). */
  longLivedByPrefix: Record<string, number>;
}

export function census(ttls: Map<string, number>): KeyCensus {
  const byPrefix: Record<string, number> = {};
  let longLived = 0;
  for (const [key, ms] of ttls) {
    if (ms <= MESSAGE_MARK_LIMIT_MS) continue;
    longLived += 1;
    const prefix = key.startsWith('console:') ? key.split(':').slice(0, 2).join(':') : key.split(':')[0];
    byPrefix[prefix] = (byPrefix[prefix] ?? 0) + 1;
  }
  return { keys: ttls.size, longLived, longLivedByPrefix: byPrefix };
}

/** Remove every key of a benchmark namespace from Redis. */
export async function flushNamespace(url: string, namespace: string): Promise<void> {
  const { createClient } = await import('@keyv/redis');
  const client = createClient({ url });
  await client.connect();
  try {
    let cursor = '0';
    do {
      const page = await client.scan(cursor, { MATCH: `${namespace}::*`, COUNT: 1000 });
      cursor = String(page.cursor);
      if (page.keys.length > 0) await client.del(page.keys);
    } while (cursor !== '0');
  } finally {
    client.destroy();
  }
}

export async function redisReachable(url: string): Promise<string | undefined> {
  try {
    const { createClient } = await import('@keyv/redis');
    const client = createClient({ url, socket: { connectTimeout: 2000, reconnectStrategy: false } });
    client.on('error', () => undefined);
    await client.connect();
    client.destroy();
    return undefined;
  } catch (e) {
    return `Redis at ${url} is not reachable (${(e as Error).message}); set REDIS_URL or --redis-url`;
  }
}
