/**
 * The `Store` calls for ownership and live views (leases, fenced writes, compare-and-set,
 * pub/sub), once for both engines: the caller errors are checked here, before anything is
 * written, and the work is handed to the engine's side (`InProcessCoordination`/`InProcessBus`
 * in memory, `RedisCoordination`/`RedisBus` on Redis) through the store's `call`, which refuses
 * after close and turns failures into `store_unavailable` like every other call.
 */
import type { AppendResult, Lease, LeaseHolder, SettleOptions, SettleResult, Store, TakeLease, Versioned } from '../../bots/core/ports';
import type { AppendJson, SettleJson } from './in-process';
import { messageJson, type MessageHandler } from './bus';
import { checkTtl } from './errors';
import { flat } from './json';
import { checkOwner, checkToken, checkVersion } from './lease-record';

type Maybe<T> = T | Promise<T>;

/** One engine's leases and compare-and-set; values cross as JSON text. */
export interface LeaseEngine {
  acquireLease(name: string, owner: string, ttlMs: number): Maybe<Lease | undefined>;
  renewLease(name: string, owner: string, token: number, ttlMs: number): Maybe<boolean>;
  releaseLease(name: string, owner: string, token: number): Maybe<boolean>;
  leaseHolder(name: string): Maybe<LeaseHolder | undefined>;
  setIfLeaseHeld(lease: Lease, key: string, json: string, ttlMs: number): Maybe<boolean>;
  claimIfLeaseHeld(lease: Lease, key: string, ttlMs: number): Maybe<'claimed' | 'taken' | 'lost'>;
  getVersioned(key: string): Maybe<{ value: unknown; version: number } | undefined>;
  setVersioned(key: string, json: string, expectedVersion: number, ttlMs: number): Maybe<boolean>;
  appendIfNew(marks: string[], markTtlMs: number, listKey: string, json: string, listTtlMs: number, take?: TakeLease): Maybe<AppendJson>;
  settleHead(lease: Lease, listKey: string, options: SettleJson): Maybe<SettleResult | 'lost'>;
}

/** One engine's pub/sub. */
export interface BusEngine {
  publish(channel: string, message: unknown): Maybe<void>;
  subscribe(channel: string, handler: MessageHandler): Maybe<() => Maybe<void>>;
}

/** Runs one call of the store (see the module's notes). */
export type StoreCall = <T>(op: string, key: string, fn: () => Maybe<T>) => Promise<T>;

export type CoordinationMethod =
  | 'acquireLease'
  | 'renewLease'
  | 'releaseLease'
  | 'leaseHolder'
  | 'setIfLeaseHeld'
  | 'claimIfLeaseHeld'
  | 'getVersioned'
  | 'setVersioned'
  | 'publish'
  | 'subscribe'
  | 'appendIfNew'
  | 'settleHead';

export class StoreCoordination implements Pick<Store, CoordinationMethod> {
  constructor(
    private readonly leases: LeaseEngine,
    private readonly bus: BusEngine,
    private readonly call: StoreCall,
  ) {}

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<Lease | undefined> {
    const ttl = checkTtl('acquireLease', name, ttlMs);
    checkOwner('acquireLease', name, owner);
    return this.call('acquireLease', name, () => this.leases.acquireLease(name, owner, ttl));
  }

  async renewLease(name: string, owner: string, token: number, ttlMs: number): Promise<boolean> {
    const ttl = checkTtl('renewLease', name, ttlMs);
    checkOwner('renewLease', name, owner);
    checkToken('renewLease', name, token);
    return this.call('renewLease', name, () => this.leases.renewLease(name, owner, token, ttl));
  }

  async releaseLease(name: string, owner: string, token: number): Promise<boolean> {
    checkOwner('releaseLease', name, owner);
    checkToken('releaseLease', name, token);
    return this.call('releaseLease', name, () => this.leases.releaseLease(name, owner, token));
  }

  async leaseHolder(name: string): Promise<LeaseHolder | undefined> {
    return this.call('leaseHolder', name, () => this.leases.leaseHolder(name));
  }

  async setIfLeaseHeld<T>(lease: Lease, key: string, value: T, ttlMs: number): Promise<boolean> {
    const ttl = checkTtl('setIfLeaseHeld', key, ttlMs);
    checkToken('setIfLeaseHeld', lease.name, lease.token);
    const json = valueJson('setIfLeaseHeld', key, value);
    return this.call('setIfLeaseHeld', key, () => this.leases.setIfLeaseHeld(lease, key, json, ttl));
  }

  async claimIfLeaseHeld(lease: Lease, key: string, ttlMs: number): Promise<'claimed' | 'taken' | 'lost'> {
    const ttl = checkTtl('claimIfLeaseHeld', key, ttlMs);
    checkToken('claimIfLeaseHeld', lease.name, lease.token);
    return this.call('claimIfLeaseHeld', key, () => this.leases.claimIfLeaseHeld(lease, key, ttl));
  }

  async getVersioned<T>(key: string): Promise<Versioned<T> | undefined> {
    return this.call('getVersioned', key, () => this.leases.getVersioned(key) as Maybe<Versioned<T> | undefined>);
  }

  async setVersioned<T>(key: string, value: T, expectedVersion: number, ttlMs: number): Promise<boolean> {
    const ttl = checkTtl('setVersioned', key, ttlMs);
    checkVersion(key, expectedVersion);
    const json = valueJson('setVersioned', key, value);
    return this.call('setVersioned', key, () => this.leases.setVersioned(key, json, expectedVersion, ttl));
  }

  async appendIfNew<T extends { id: string }>(
    marks: string[],
    markTtlMs: number,
    listKey: string,
    value: T,
    listTtlMs: number,
    take?: TakeLease,
  ): Promise<AppendResult<T>> {
    const markTtl = checkTtl('appendIfNew', listKey, markTtlMs);
    const listTtl = checkTtl('appendIfNew', listKey, listTtlMs);
    const json = valueJson('appendIfNew', listKey, value);
    if (typeof value?.id !== 'string' || !json.startsWith(`{"id":${JSON.stringify(value.id)}`)) {
      throw new TypeError(`Store.appendIfNew(${JSON.stringify(listKey)}): the value must be an object whose first property is a string id`);
    }
    const taking = take && { ...take, ttlMs: checkTtl('appendIfNew', take.name, take.ttlMs) };
    if (taking) checkOwner('appendIfNew', take.name, take.owner);
    const answer = await this.call('appendIfNew', listKey, () => this.leases.appendIfNew(marks, markTtl, listKey, json, listTtl, taking));
    if (!answer.lease) return { appended: answer.appended };
    const entries = (answer.entries ?? []).map((e) => JSON.parse(e) as T);
    return { appended: answer.appended, lease: answer.lease, entries, ...(answer.read ? { read: answer.read } : {}) };
  }

  async settleHead(lease: Lease, listKey: string, options: SettleOptions): Promise<SettleResult | 'lost'> {
    checkToken('settleHead', lease.name, lease.token);
    const writes = (options.writes ?? []).map((w) => ({
      key: w.key,
      json: valueJson('settleHead', w.key, w.value),
      ttlMs: checkTtl('settleHead', w.key, w.ttlMs),
    }));
    const json: SettleJson = { headId: options.headId, writes, release: options.release === true };
    return this.call('settleHead', listKey, () => this.leases.settleHead(lease, listKey, json));
  }

  async publish<T>(channel: string, message: T): Promise<void> {
    messageJson(channel, message); // a message with no JSON form is the caller's error, before any I/O
    return this.call('publish', channel, () => this.bus.publish(channel, message));
  }

  async subscribe<T>(channel: string, handler: (message: T) => void | Promise<void>): Promise<() => Promise<void>> {
    const end = await this.call('subscribe', channel, () => this.bus.subscribe(channel, handler as MessageHandler));
    return async () => end();
  }
}

/** The JSON of a value to write, or a `TypeError` (before anything is written) when it has none. */
function valueJson(method: string, key: string, value: unknown): string {
  const json = JSON.stringify(value);
  if (typeof json !== 'string') throw new TypeError(`Store.${method}(${JSON.stringify(key)}): the value has no JSON form`);
  return flat(json);
}
