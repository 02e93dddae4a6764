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

  /** Notes `key`'s TTL when a call answers that it wrote. */
  private noteIfWritten(key: string, ttlMs: number): (written: boolean) => void {
    return (written) => {
      if (written) this.ttls.set(key, ttlMs);
    };
  }

  /** One call: recorded, delayed or refused (`before`), passed on, and its TTLs noted when it wrote. */
  private async pass<T>(op: StoreOp, key: string, call: () => Promise<T>, wrote?: (answer: T) => void): Promise<T> {
    await this.before(op, key);
    const answer = await call();
    wrote?.(answer);
    return answer;
  }

  get<T>(key: string): Promise<T | undefined> {
    return this.pass('get', key, () => this.store.get<T>(key));
  }

  set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    return this.pass(
      'set',
      key,
      () => this.store.set(key, value, ttlMs),
      () => this.ttls.set(key, ttlMs),
    );
  }

  delete(key: string): Promise<void> {
    return this.pass('delete', key, () => this.store.delete(key));
  }

  append<T>(key: string, value: T, ttlMs: number): Promise<number> {
    return this.pass(
      'append',
      key,
      () => this.store.append(key, value, ttlMs),
      () => this.ttls.set(key, ttlMs),
    );
  }

  list<T>(key: string): Promise<T[]> {
    return this.pass('list', key, () => this.store.list<T>(key));
  }

  claim(key: string, ttlMs: number): Promise<boolean> {
    return this.pass('claim', key, () => this.store.claim(key, ttlMs), this.noteIfWritten(key, ttlMs));
  }

  keys(prefix: string): Promise<string[]> {
    return this.pass('keys', prefix, () => this.store.keys(prefix));
  }

  acquireLease: Store['acquireLease'] = (name, owner, ttlMs) =>
    this.pass(
      'lease',
      name,
      () => this.store.acquireLease(name, owner, ttlMs),
      (lease) => lease && this.recordLease(name, ttlMs),
    );

  renewLease: Store['renewLease'] = (name, owner, token, ttlMs) =>
    this.pass(
      'lease',
      name,
      () => this.store.renewLease(name, owner, token, ttlMs),
      (ok) => ok && this.recordLease(name, ttlMs),
    );

  releaseLease: Store['releaseLease'] = (name, owner, token) =>
    this.pass(
      'lease',
      name,
      () => this.store.releaseLease(name, owner, token),
      (ok) => ok && this.recordLease(name, 0),
    );

  leaseHolder: Store['leaseHolder'] = (name) => this.pass('lease', name, () => this.store.leaseHolder(name));

  setIfLeaseHeld: Store['setIfLeaseHeld'] = (lease, key, value, ttlMs) =>
    this.pass('setIfLeaseHeld', key, () => this.store.setIfLeaseHeld(lease, key, value, ttlMs), this.noteIfWritten(key, ttlMs));

  claimIfLeaseHeld: Store['claimIfLeaseHeld'] = (lease, key, ttlMs) =>
    this.pass(
      'claimIfLeaseHeld',
      key,
      () => this.store.claimIfLeaseHeld(lease, key, ttlMs),
      (answer) => this.noteIfWritten(key, ttlMs)(answer === 'claimed'),
    );

  getVersioned: Store['getVersioned'] = (key) => this.pass('getVersioned', key, () => this.store.getVersioned(key));

  setVersioned: Store['setVersioned'] = (key, value, expectedVersion, ttlMs) =>
    this.pass('setVersioned', key, () => this.store.setVersioned(key, value, expectedVersion, ttlMs), this.noteIfWritten(key, ttlMs));

  appendIfNew: Store['appendIfNew'] = (marks, markTtlMs, listKey, value, listTtlMs, take) =>
    this.pass(
      'appendIfNew',
      listKey,
      () => this.store.appendIfNew(marks, markTtlMs, listKey, value, listTtlMs, take),
      (answer) => {
        if (answer.appended) {
          for (const mark of marks) this.ttls.set(mark, markTtlMs);
          this.ttls.set(listKey, listTtlMs);
        }
        if (answer.lease && take) this.recordLease(take.name, take.ttlMs);
      },
    );

  settleHead: Store['settleHead'] = (lease, listKey, options) =>
    this.pass(
      'settleHead',
      listKey,
      () => this.store.settleHead(lease, listKey, options),
      (answer) => {
        if (answer === 'lost') return;
        for (const w of options.writes ?? []) this.ttls.set(w.key, w.ttlMs);
        if (answer.released) this.recordLease(lease.name, 0);
      },
    );

  publish: Store['publish'] = (channel, message) => this.pass('publish', channel, () => this.store.publish(channel, message));

  subscribe: Store['subscribe'] = (channel, handler) => this.pass('subscribe', channel, () => this.store.subscribe(channel, handler));

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
