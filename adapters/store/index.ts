/**
 * The store's entry point for the composition root: settings in, a ready `Store` out.
 * Memory unless `redisUrl` is set; with Redis, the connection is made and checked here, so a
 * wrong URL or a Redis that is down stops start-up with a clear message instead of failing
 * later on the first user message.
 */
import type { Logger } from '../../bots/core/ports';
import type { StoreSettings } from './config';
import { redactUrl } from './errors';
import { KeyvStore } from './keyv-store';
import { connectRedis, defaultRedisTimeouts, type RedisTimeouts } from './redis';

export interface CreateStoreOptions {
  /** Redis time limits; defaults in `defaultRedisTimeouts`. Tests shorten them. */
  redisTimeouts?: Partial<RedisTimeouts>;
  /** Memory store: how often expired entries are purged. */
  sweepIntervalMs?: number;
  /** Memory store: its clock (epoch ms) for TTLs and leases; tests inject theirs. */
  now?: () => number;
}

/** The settings `createStore` reads; the memory engine defaults to `map` as in the schema. */
export type StoreChoice = Omit<StoreSettings, 'memoryEngine'> & Partial<Pick<StoreSettings, 'memoryEngine'>>;

/**
 * Throws `BridgeError('store_unavailable', 'Cannot reach Redis at <url without password>: <reason>')`
 * when Redis is configured but cannot be reached.
 */
export async function createStore(settings: StoreChoice, logger?: Logger, options: CreateStoreOptions = {}): Promise<KeyvStore> {
  if (!settings.redisUrl) {
    logger?.info(
      { store: 'memory', namespace: settings.namespace },
      'Using the in-memory store: state is lost on restart and not shared between processes',
    );
    return KeyvStore.memory(settings.namespace, {
      engine: settings.memoryEngine,
      sweepIntervalMs: options.sweepIntervalMs,
      logger,
      now: options.now,
    });
  }
  const timeouts = { ...defaultRedisTimeouts, ...options.redisTimeouts };
  const connection = await connectRedis(settings.redisUrl, settings.namespace, logger, timeouts);
  logger?.info({ store: 'redis', url: redactUrl(settings.redisUrl), namespace: settings.namespace }, 'Using Redis');
  return KeyvStore.redis(connection, logger);
}

export { KeyvStore, CLAIMED, escapeGlob, type MemoryStoreOptions } from './keyv-store';
export type { MemoryEngineName } from './memory-engine';
export { storeSettingsSchema, type StoreSettings } from './config';
export { defaultRedisTimeouts, type RedisTimeouts } from './redis';
