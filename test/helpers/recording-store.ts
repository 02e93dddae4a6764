/**
 * The real memory store (`KeyvStore.memory`, the bridge's own) on a test's clock, wrapped to
 * record what tests look at: every call (`ops`) and the TTL each successful write gave its key
 * (`ttls`, the last one per key). `latency` is awaited before each call, so a test can slow
 * calls down to provoke races or make one fail; `closed = true` makes every call fail, as an
 * unreachable store would. Each call is passed to the real store unchanged: this is a recorder,
 * not a second store.
 */
import { KeyvStore, type MemoryEngineName } from '../../adapters/store';
import type { CoordinationMethod } from '../../adapters/store/coordination';
import { LEASE_GRACE_MS } from '../../adapters/store/lease-record';
import type { Store } from '../../bots/core/ports';

/** What `ops` records: the Store's calls, the four lease calls as one `lease`. */
export type StoreOp =
  | 'get'
  | 'set'
  | 'delete'
  | 'claim'
  | 'keys'
  | 'append'
  | 'list'
  | 'lease'
  | Exclude<CoordinationMethod, 'acquireLease' | 'renewLease' | 'releaseLease' | 'leaseHolder'>;

let stores = 0;

export class RecordingStore implements Store {
  /** The real store every call goes to. */
  readonly store: KeyvStore;
  readonly ops: { op: StoreOp; key: string }[] = [];
  /** Every TTL a successful write gave its key (the last one), so tests can check retention. */
  readonly ttls = new Map<string, number>();
  /** Awaited before each call; return a promise to delay it, throw to fail it. */
  latency?: (op: StoreOp, key: string) => Promise<void> | void;
  /** Every call fails while set (closing sets it too). */
  closed = false;

  constructor(now: () => number = () => Date.now(), options: { engine?: MemoryEngineName } = {}) {
    stores += 1;
    this.store = KeyvStore.memory(`test-${stores}`, { now, engine: options.engine });
  }

  private async before(op: StoreOp, key: string): Promise<void> {
    this.ops.push({ op, key });
    if (this.closed) throw new Error('store closed');
    await this.latency?.(op, key);
  }

  /** A lease's record outlives the holding by the grace (lease-record.ts); its key's TTL. */
  private recordLease(name: string, ttlMs: number): void {
    this.ttls.set(name, ttlMs + LEASE_GRACE_MS);
  }

  async get<T>(key: string): Promise<T | undefined> {
    await this.before('get', key);
    return this.store.get<T>(key);
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    await this.before('set', key);
    await this.store.set(key, value, ttlMs);
    this.ttls.set(key, ttlMs);
  }

  async delete(key: string): Promise<void> {
    await this.before('delete', key);
    await this.store.delete(key);
  }

  async append<T>(key: string, value: T, ttlMs: number): Promise<number> {
    await this.before('append', key);
    const length = await this.store.append(key, value, ttlMs);
    this.ttls.set(key, ttlMs);
    return length;
  }

  async list<T>(key: string): Promise<T[]> {
    await this.before('list', key);
    return this.store.list<T>(key);
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    await this.before('claim', key);
    const won = await this.store.claim(key, ttlMs);
    if (won) this.ttls.set(key, ttlMs);
    return won;
  }

  async keys(prefix: string): Promise<string[]> {
    await this.before('keys', prefix);
    return this.store.keys(prefix);
  }

  acquireLease: Store['acquireLease'] = async (name, owner, ttlMs) => {
    await this.before('lease', name);
    const lease = await this.store.acquireLease(name, owner, ttlMs);
    if (lease) this.recordLease(name, ttlMs);
    return lease;
  };

  renewLease: Store['renewLease'] = async (name, owner, token, ttlMs) => {
    await this.before('lease', name);
    const renewed = await this.store.renewLease(name, owner, token, ttlMs);
    if (renewed) this.recordLease(name, ttlMs);
    return renewed;
  };

  releaseLease: Store['releaseLease'] = async (name, owner, token) => {
    await this.before('lease', name);
    const released = await this.store.releaseLease(name, owner, token);
    if (released) this.recordLease(name, 0);
    return released;
  };

  leaseHolder: Store['leaseHolder'] = async (name) => {
    await this.before('lease', name);
    return this.store.leaseHolder(name);
  };

  setIfLeaseHeld: Store['setIfLeaseHeld'] = async (lease, key, value, ttlMs) => {
    await this.before('setIfLeaseHeld', key);
    const written = await this.store.setIfLeaseHeld(lease, key, value, ttlMs);
    if (written) this.ttls.set(key, ttlMs);
    return written;
  };

  claimIfLeaseHeld: Store['claimIfLeaseHeld'] = async (lease, key, ttlMs) => {
    await this.before('claimIfLeaseHeld', key);
    const answer = await this.store.claimIfLeaseHeld(lease, key, ttlMs);
    if (answer === 'claimed') this.ttls.set(key, ttlMs);
    return answer;
  };

  getVersioned: Store['getVersioned'] = async (key) => {
    await this.before('getVersioned', key);
    return this.store.getVersioned(key);
  };

  setVersioned: Store['setVersioned'] = async (key, value, expectedVersion, ttlMs) => {
    await this.before('setVersioned', key);
    const written = await this.store.setVersioned(key, value, expectedVersion, ttlMs);
    if (written) this.ttls.set(key, ttlMs);
    return written;
  };

  appendIfNew: Store['appendIfNew'] = async (marks, markTtlMs, listKey, value, listTtlMs, take) => {
    await this.before('appendIfNew', listKey);
    const answer = await this.store.appendIfNew(marks, markTtlMs, listKey, value, listTtlMs, take);
    if (answer.appended) {
      for (const mark of marks) this.ttls.set(mark, markTtlMs);
      this.ttls.set(listKey, listTtlMs);
    }
    if (answer.lease && take) this.recordLease(take.name, take.ttlMs);
    return answer;
  };

  settleHead: Store['settleHead'] = async (lease, listKey, options) => {
    await this.before('settleHead', listKey);
    const answer = await this.store.settleHead(lease, listKey, options);
    if (answer !== 'lost') {
      for (const w of options.writes ?? []) this.ttls.set(w.key, w.ttlMs);
      if (answer.released) this.recordLease(lease.name, 0);
    }
    return answer;
  };

  publish: Store['publish'] = async (channel, message) => {
    await this.before('publish', channel);
    return this.store.publish(channel, message);
  };

  subscribe: Store['subscribe'] = async (channel, handler) => {
    await this.before('subscribe', channel);
    return this.store.subscribe(channel, handler);
  };

  async ping(): Promise<boolean> {
    return !this.closed && this.store.ping();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.store.close();
  }

  /** Read a value for an assertion, without recording a call (the same read as `get`). */
  async peek<T>(key: string): Promise<T | undefined> {
    return this.store.get<T>(key);
  }
}
