/**
 * The `Store` port on keyv 5: an in-process Map by default, Redis (`@keyv/redis`) when configured.
 *
 * In memory, every call is one atomic operation of the memory engine (`memory-operations.ts`
 * over the seam in `memory-engine.ts`): keyv through its public API, or Maps of our own (the
 * default: cheaper per call, held to the same conformance suite); pub/sub is `InProcessBus`.
 * On Redis, keys and lists are `RedisKeys` (keyv, and what keyv cannot do next to it), leases,
 * fenced writes and `setVersioned` Lua scripts (`redis-scripts.ts`), pub/sub a subscriber
 * connection (`redis-bus.ts`).
 *
 * Every failure of the backing store surfaces as `BridgeError('store_unavailable')`, so callers
 * never mistake an outage for a missing key.
 */
import type { Logger, Store } from '../../bots/core/ports';
import { InProcessBus, type HandlerErrorReport } from './bus';
import { StoreCoordination, type StoreCall } from './coordination';
import { checkTtl, describeError, storeUnavailable } from './errors';
import type { Maybe, MemoryEngine, MemoryEngineName } from './memory-engine';
import { MemoryOperations } from './memory-operations';
import type { RedisConnection } from './redis';
import { RedisBus } from './redis-bus';
import { RedisKeys } from './redis-keys';
import { RedisCoordination } from './redis-scripts';

export { CLAIMED } from './json';
export { escapeGlob } from './redis-keys';

/** How often the memory store drops expired entries (otherwise dropped only when met). */
const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

/**
 * A value JSON cannot hold (BigInt, a cycle) is the caller's bug, not an outage, so it is not
 * reported as `store_unavailable`. By name, not `instanceof`, to hold across realms.
 */
function isCallerError(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  return name === 'TypeError' || name === 'RangeError';
}

export interface MemoryStoreOptions {
  /** Where entries are kept (`memory-engine.ts`); `map` unless asked. */
  engine?: MemoryEngineName;
  /** Purge expired entries this often, so write-once keys (dedupe marks) do not pile up. */
  sweepIntervalMs?: number;
  /** Where a failing pub/sub handler is reported. */
  logger?: Logger;
  /** The store's clock (epoch ms) for TTLs and leases; tests inject theirs. */
  now?: () => number;
}

export class KeyvStore implements Store {
  /** For logs and error details. */
  readonly engine: 'memory' | 'redis';
  private closed = false;
  /** Calls in progress, so `close` can let them finish before dropping the connection. */
  private readonly inflight = new Set<Promise<unknown>>();
  private sweepTimer?: NodeJS.Timeout;
  /** The memory store's calls (memory-operations.ts); Redis keeps its own keys and lists. */
  private readonly memory?: MemoryOperations;
  private readonly coordination: StoreCoordination;
  private readonly memoryBus?: InProcessBus;
  private readonly redisBus?: RedisBus;

  /** One process only; contents are lost on restart. */
  static memory(namespace: string, options: MemoryStoreOptions = {}): KeyvStore {
    const memory = MemoryOperations.open(namespace, options.engine, options.now ?? Date.now);
    const store = new KeyvStore({ memory }, options.logger);
    store.startSweeping(options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
    return store;
  }

  /** Shared by every process on the same Redis and namespace; survives restarts. */
  static redis(connection: RedisConnection, logger?: Logger): KeyvStore {
    return new KeyvStore({ redis: connection }, logger);
  }

  private readonly redis?: RedisConnection;
  /** The Redis engine's keys and lists (redis-keys.ts). */
  private readonly redisKeys?: RedisKeys;

  private constructor(backing: { memory: MemoryOperations } | { redis: RedisConnection }, logger?: Logger) {
    const redis = 'redis' in backing ? backing.redis : undefined;
    this.redis = redis;
    this.engine = redis ? 'redis' : 'memory';
    const onHandlerError: HandlerErrorReport = (channel, err) =>
      logger?.error({ store: this.engine, channel, err: describeError(err) }, 'A pub/sub handler failed');
    const bounded = <T>(call: Promise<T>) => this.bounded(call);
    if (redis) {
      this.redisKeys = new RedisKeys(redis, bounded);
      this.redisBus = new RedisBus(redis, bounded, onHandlerError);
      const run: StoreCall = (op, key, fn) => this.run(op, key, async () => fn());
      this.coordination = new StoreCoordination(new RedisCoordination(redis, bounded), this.redisBus, run);
    } else {
      const memory = (backing as { memory: MemoryOperations }).memory;
      this.memory = memory;
      this.memoryBus = new InProcessBus(onHandlerError);
      const call: StoreCall = async (op, key, fn) => this.inMemory(op, key, fn);
      this.coordination = new StoreCoordination(memory, this.memoryBus, call);
    }
  }

  /** Which memory engine this store runs on (`memory-engine.ts`); undefined on Redis. */
  get memoryEngine(): MemoryEngine | undefined {
    return this.memory?.engine;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const memory = this.memory;
    if (memory) return this.inMemory('get', key, () => memory.get<T>(key));
    return this.run('get', key, () => this.onRedis().get<T>(key));
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    const ttl = checkTtl('set', key, ttlMs);
    const memory = this.memory;
    if (memory) return this.inMemory('set', key, () => memory.set(key, value, ttl));
    await this.run('set', key, () => this.onRedis().set(key, value, ttl));
  }

  async delete(key: string): Promise<void> {
    const memory = this.memory;
    if (memory) return this.inMemory('delete', key, () => memory.delete(key));
    await this.run('delete', key, () => this.onRedis().delete(key));
  }

  async append<T>(key: string, value: T, ttlMs: number): Promise<number> {
    const ttl = checkTtl('append', key, ttlMs);
    const memory = this.memory;
    if (memory) return this.inMemory('append', key, () => memory.append(key, value, ttl));
    return this.run('append', key, () => this.onRedis().append(key, value, ttl));
  }

  async list<T>(key: string): Promise<T[]> {
    const memory = this.memory;
    if (memory) return this.inMemory('list', key, () => memory.list<T>(key));
    return this.run('list', key, () => this.onRedis().list<T>(key));
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const ttl = checkTtl('claim', key, ttlMs);
    const memory = this.memory;
    if (memory) return this.inMemory('claim', key, () => memory.claim(key, ttl));
    return this.run('claim', key, () => this.onRedis().claim(key, ttl));
  }

  async keys(prefix: string): Promise<string[]> {
    const memory = this.memory;
    const found = await (memory
      ? this.inMemory('keys', prefix, () => memory.keys(prefix))
      : this.run('keys', prefix, () => this.onRedis().keys(prefix)));
    return found.sort();
  }

  /**
   * Memory store: when `key` expires (epoch ms on the store's clock), undefined when absent.
   * Not part of the `Store` port: a diagnostic for tests and the benchmark (what a message
   * leaves behind, and for how long). On Redis, ask Redis (`PTTL`).
   */
  async expiresAt(key: string): Promise<number | undefined> {
    const memory = this.memory;
    if (!memory) throw new Error('KeyvStore.expiresAt is for the memory store; ask Redis with PTTL');
    return this.inMemory('expiresAt', key, () => memory.expiresAt(key));
  }

  // Leases, fenced writes, compare-and-set and pub/sub: `StoreCoordination` (coordination.ts).
  acquireLease: Store['acquireLease'] = (...a) => this.coordination.acquireLease(...a);
  renewLease: Store['renewLease'] = (...a) => this.coordination.renewLease(...a);
  releaseLease: Store['releaseLease'] = (...a) => this.coordination.releaseLease(...a);
  leaseHolder: Store['leaseHolder'] = (...a) => this.coordination.leaseHolder(...a);
  setIfLeaseHeld: Store['setIfLeaseHeld'] = (...a) => this.coordination.setIfLeaseHeld(...a);
  claimIfLeaseHeld: Store['claimIfLeaseHeld'] = (...a) => this.coordination.claimIfLeaseHeld(...a);
  getVersioned: Store['getVersioned'] = (...a) => this.coordination.getVersioned(...a);
  setVersioned: Store['setVersioned'] = (...a) => this.coordination.setVersioned(...a);
  publish: Store['publish'] = (...a) => this.coordination.publish(...a);
  subscribe: Store['subscribe'] = (...a) => this.coordination.subscribe(...a);
  appendIfNew: Store['appendIfNew'] = (...a) => this.coordination.appendIfNew(...a);
  settleHead: Store['settleHead'] = (...a) => this.coordination.settleHead(...a);

  /**
   * Whether the store can serve calls as far as it knows without a round trip: false once closed,
   * and on Redis while the connection is down (reconnecting), when every call fails at once.
   * A Redis that is connected but stopped answering still says true here; `ping` finds that out.
   */
  reachable(): boolean {
    if (this.closed) return false;
    return !this.redis || this.redis.client.isReady;
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
    if (this.memory) {
      this.memoryBus?.clear();
      await this.memory.clear();
      return;
    }
    await this.redisBus?.close();
    // Not `keyv.disconnect()`: it sends QUIT and waits for replies to everything still queued
    // in node-redis, including commands that already timed out on our side, so against a Redis
    // that stopped answering it never returns. Our own calls have settled above; drop the socket.
    const { client } = this.redisConnection();
    if (client.isOpen) client.destroy();
  }

  private onRedis(): RedisKeys {
    if (!this.redisKeys) throw new Error('KeyvStore: a memory store has no Redis keys');
    return this.redisKeys;
  }

  /** The Redis engine's connection: a store is built with exactly one engine (see `memory`). */
  private redisConnection(): RedisConnection {
    if (!this.redis) throw new Error('KeyvStore: a memory store has no Redis connection');
    return this.redis;
  }

  // -------------------------------------------------------------------------------------------

  /** Runs one call: refuses after `close`, and turns store failures into `store_unavailable`. */
  private async run<T>(op: string, key: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw this.closedError(op, key);
    const call = (async () => fn())(); // a synchronous throw becomes a rejection like the rest
    this.inflight.add(call);
    try {
      return await call;
    } catch (e) {
      throw this.failure(op, key, e);
    } finally {
      this.inflight.delete(call);
    }
  }

  /**
   * Runs one memory-store call, with the same refusals and errors as `run`. The map engine
   * answers at once (no promise hop, nothing in flight for `close` to wait for); the keyv
   * engine's answer is a promise, kept in flight until it settles.
   */
  private inMemory<T>(op: string, key: string, fn: () => Maybe<T>): Maybe<T> {
    if (this.closed) throw this.closedError(op, key);
    let answer: Maybe<T>;
    try {
      answer = fn();
    } catch (e) {
      throw this.failure(op, key, e);
    }
    if (!(answer instanceof Promise)) return answer;
    const call = answer.then(undefined, (e: unknown) => {
      throw this.failure(op, key, e);
    });
    this.inflight.add(call);
    void call.then(
      () => this.inflight.delete(call),
      () => this.inflight.delete(call),
    );
    return call;
  }

  private closedError(op: string, key: string): Error {
    return storeUnavailable(`Store ${op} failed: the store is closed`, undefined, { key, engine: this.engine });
  }

  /** What a failed call throws: the caller's mistakes as they are, anything else as an outage. */
  private failure(op: string, key: string, e: unknown): unknown {
    if (isCallerError(e)) return e;
    // Redis refusing a list command on a value (or the reverse) is the caller's mistake too.
    if (/\bWRONGTYPE\b/.test(describeError(e))) return new TypeError(`Store.${op}(${JSON.stringify(key)}): ${describeError(e)}`);
    return storeUnavailable(`Store ${op} failed: ${describeError(e)}`, e, { key, engine: this.engine });
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

  /** Drops expired entries that nothing reads any more. */
  private startSweeping(intervalMs: number): void {
    this.sweepTimer = setInterval(() => {
      void this.run('sweep', '', async () => this.memory?.sweep()).catch(() => undefined); // a failed sweep is retried at the next tick
    }, intervalMs);
    // A sweep must never keep the process alive on its own.
    this.sweepTimer.unref();
  }
}
