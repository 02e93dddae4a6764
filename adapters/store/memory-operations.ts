/**
 * The memory store's calls, each one atomic operation of its engine (`memory-engine.ts`) under
 * the rules of `MemoryCells`; leases, fenced writes and compare-and-set are
 * `InProcessCoordination` inside that same operation. Values are turned into JSON before the
 * operation, so a value JSON cannot hold fails before anything is written. The caller
 * (`KeyvStore`) turns failures into the Store's errors.
 */
import { Keyv } from 'keyv';
import type { Lease, LeaseHolder, SettleResult, TakeLease } from '../../bots/core/ports';
import type { LeaseEngine } from './coordination';
import { noJson } from './errors';
import { type AppendJson, InProcessCoordination, type SettleJson } from './in-process';
import { jsonDeserialize, jsonFlat, jsonSerialize } from './json';
import { MemoryCells } from './memory-cells';
import type { Maybe, MemoryEngine, MemoryEngineName, MemoryEntry } from './memory-engine';
import { KeyvMemoryEngine } from './memory-keyv-engine';
import { MapMemoryEngine } from './memory-map-engine';

export class MemoryOperations implements LeaseEngine {
  /** The calls of a new, empty memory store on the engine named (`map` unless asked). */
  static open(namespace: string, engine: MemoryEngineName = 'map', now: () => number = Date.now): MemoryOperations {
    return new MemoryOperations(engine === 'map' ? new MapMemoryEngine() : keyvEngine(namespace), now);
  }

  constructor(
    readonly engine: MemoryEngine,
    private readonly now: () => number,
  ) {}

  get<T>(key: string): Maybe<T | undefined> {
    return this.atomically((cells) => {
      const json = cells.value(key)?.json;
      return json === undefined || json === '' ? undefined : (JSON.parse(json) as T);
    });
  }

  set(key: string, value: unknown, ttlMs: number): Maybe<void> {
    // As keyv and Redis keep it: a value with no JSON form (undefined) reads back as undefined.
    const json = jsonFlat(value) ?? '';
    return this.atomically((cells) => cells.write(key, json, ttlMs));
  }

  delete(key: string): Maybe<void> {
    return this.atomically((cells) => cells.delete(key));
  }

  append(key: string, value: unknown, ttlMs: number): Maybe<number> {
    const json = jsonFlat(value);
    if (json === undefined) throw noJson(key);
    return this.atomically((cells) => cells.append(key, json, ttlMs));
  }

  list<T>(key: string): Maybe<T[]> {
    return this.atomically((cells) => cells.list(key).map((item) => jsonDeserialize(item) as T));
  }

  claim(key: string, ttlMs: number): Maybe<boolean> {
    return this.atomically((cells) => cells.claim(key, ttlMs));
  }

  keys(prefix: string): Maybe<string[]> {
    return this.atomically((cells) => cells.keys(prefix));
  }

  expiresAt(key: string): Maybe<number | undefined> {
    return this.atomically((cells) => cells.expiresAt(key));
  }

  sweep(): Maybe<void> {
    return this.atomically((cells) => cells.sweep());
  }

  clear(): Promise<void> {
    return this.engine.clear();
  }

  acquireLease(name: string, owner: string, ttlMs: number): Maybe<Lease | undefined> {
    return this.coordinate((c) => c.acquireLease(name, owner, ttlMs));
  }

  renewLease(name: string, owner: string, token: number, ttlMs: number): Maybe<boolean> {
    return this.coordinate((c) => c.renewLease(name, owner, token, ttlMs));
  }

  releaseLease(name: string, owner: string, token: number): Maybe<boolean> {
    return this.coordinate((c) => c.releaseLease(name, owner, token));
  }

  leaseHolder(name: string): Maybe<LeaseHolder | undefined> {
    return this.coordinate((c) => c.leaseHolder(name));
  }

  setIfLeaseHeld(lease: Lease, key: string, json: string, ttlMs: number): Maybe<boolean> {
    return this.coordinate((c) => c.setIfLeaseHeld(lease, key, json, ttlMs));
  }

  claimIfLeaseHeld(lease: Lease, key: string, ttlMs: number): Maybe<'claimed' | 'taken' | 'lost'> {
    return this.coordinate((c) => c.claimIfLeaseHeld(lease, key, ttlMs));
  }

  getVersioned(key: string): Maybe<{ value: unknown; version: number } | undefined> {
    return this.coordinate((c) => c.getVersioned(key));
  }

  setVersioned(key: string, json: string, expectedVersion: number, ttlMs: number): Maybe<boolean> {
    return this.coordinate((c) => c.setVersioned(key, json, expectedVersion, ttlMs));
  }

  appendIfNew(marks: string[], markTtlMs: number, listKey: string, json: string, listTtlMs: number, take?: TakeLease): Maybe<AppendJson> {
    return this.coordinate((c) => c.appendIfNew(marks, markTtlMs, listKey, json, listTtlMs, take));
  }

  settleHead(lease: Lease, listKey: string, options: SettleJson): Maybe<SettleResult | 'lost'> {
    return this.coordinate((c) => c.settleHead(lease, listKey, options));
  }

  private atomically<T>(op: (cells: MemoryCells) => T): Maybe<T> {
    return this.engine.atomically((entries) => op(new MemoryCells(entries, this.now)));
  }

  private coordinate<T>(op: (coordination: InProcessCoordination) => T): Maybe<T> {
    return this.atomically((cells) => op(new InProcessCoordination(cells)));
  }
}

function keyvEngine(namespace: string): KeyvMemoryEngine {
  const keyv = new Keyv<MemoryEntry>({
    namespace,
    // The Map belongs to this store alone, so a prefix separates nothing. keyv's prefixing is
    // also lossy: it skips keys that already start with `<namespace>:`, so with namespace
    // `lab` the keys `lab:x` and `x` would be the same entry.
    useKeyPrefix: false,
    throwOnErrors: true,
    serialize: jsonSerialize,
    deserialize: jsonDeserialize,
  });
  return new KeyvMemoryEngine(keyv);
}
