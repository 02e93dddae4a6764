/**
 * A tiny Map-based Store for tests: TTLs (against an injectable clock), atomic claim, lists
 * (append/list), prefix keys, and the coordination calls (`InProcessExtras`). Values are JSON
 * round-tripped on the way in and out, like Redis would, so tests catch accidental sharing of
 * mutable state or values that do not survive serialization. `latency` lets a test slow down
 * individual operations to provoke races; `ops` and `ttls` record what was asked.
 */
import type { CoordinationMethod } from '../../adapters/store/coordination';
import type { InProcessCells } from '../../adapters/store/in-process';
import type { Store } from '../../bots/core/ports';
import { InProcessExtras } from './in-process-extras';

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

export class MemoryStore extends InProcessExtras implements Store {
  private readonly data = new Map<string, { json: string; expiresAt: number; version?: number }>();
  private readonly lists = new Map<string, { items: string[]; expiresAt: number }>();
  readonly ops: { op: StoreOp; key: string }[] = [];
  /** Every TTL a write was given, by key (the last one), so tests can check retention. */
  readonly ttls = new Map<string, number>();
  /** Awaited before each operation; return a promise to delay it. */
  latency?: (op: StoreOp, key: string) => Promise<void> | void;
  closed = false;

  constructor(private readonly now: () => number = () => Date.now()) {
    super();
  }

  protected async before(op: StoreOp, key: string): Promise<void> {
    this.ops.push({ op, key });
    if (this.closed) throw new Error('store closed');
    await this.latency?.(op, key);
  }

  private live(key: string) {
    const e = this.data.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.data.delete(key);
      return undefined;
    }
    return e;
  }

  private liveList(key: string) {
    const l = this.lists.get(key);
    if (!l) return undefined;
    if (l.expiresAt <= this.now()) {
      this.lists.delete(key);
      return undefined;
    }
    return l;
  }

  async get<T>(key: string): Promise<T | undefined> {
    await this.before('get', key);
    if (this.liveList(key)) throw new TypeError(`get(${key}): the key holds a list`);
    const e = this.live(key);
    return e ? (JSON.parse(e.json) as T) : undefined;
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    await this.before('set', key);
    if (!(ttlMs > 0)) throw new Error(`set(${key}) needs a positive TTL, got ${ttlMs}`);
    this.writeJson(key, JSON.stringify(value), ttlMs);
  }

  async delete(key: string): Promise<void> {
    await this.before('delete', key);
    this.data.delete(key);
    this.lists.delete(key);
  }

  async append<T>(key: string, value: T, ttlMs: number): Promise<number> {
    await this.before('append', key);
    if (!(ttlMs > 0)) throw new Error(`append(${key}) needs a positive TTL, got ${ttlMs}`);
    return this.appendJson(key, JSON.stringify(value), ttlMs);
  }

  async list<T>(key: string): Promise<T[]> {
    await this.before('list', key);
    if (this.live(key)) throw new TypeError(`list(${key}): the key holds a value`);
    return (this.liveList(key)?.items ?? []).map((json) => JSON.parse(json) as T);
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    await this.before('claim', key);
    return this.claimKey(key, ttlMs);
  }

  async keys(prefix: string): Promise<string[]> {
    await this.before('keys', prefix);
    return [...this.data.keys(), ...this.lists.keys()].filter((k) => k.startsWith(prefix) && (this.live(k) || this.liveList(k)));
  }

  protected cells(): InProcessCells {
    return {
      now: this.now,
      read: (key) => {
        if (this.liveList(key)) throw new TypeError(`${key}: the key holds a list`);
        const e = this.live(key);
        return e && { json: e.json, version: e.version ?? 0 };
      },
      write: (key, json, ttlMs, version) => this.writeJson(key, json, ttlMs, version),
      claim: (key, ttlMs) => this.claimKey(key, ttlMs),
      append: (key, json, ttlMs) => this.appendJson(key, json, ttlMs),
      list: (key) => {
        if (this.live(key)) throw new TypeError(`${key}: the key holds a value`);
        return this.liveList(key)?.items ?? [];
      },
      shift: (key) => {
        const list = this.liveList(key);
        if (!list) return;
        list.items.shift();
        if (list.items.length === 0) this.lists.delete(key);
      },
    };
  }

  private writeJson(key: string, json: string, ttlMs: number, version?: number): void {
    this.lists.delete(key);
    this.data.set(key, { json, expiresAt: this.now() + ttlMs, version });
    this.ttls.set(key, ttlMs);
  }

  private claimKey(key: string, ttlMs: number): boolean {
    if (this.live(key) || this.liveList(key)) return false;
    this.writeJson(key, 'true', ttlMs);
    return true;
  }

  private appendJson(key: string, json: string, ttlMs: number): number {
    if (this.live(key)) throw new TypeError(`append(${key}): the key holds a value`);
    const list = this.liveList(key) ?? { items: [], expiresAt: 0 };
    list.items.push(json);
    list.expiresAt = this.now() + ttlMs;
    this.lists.set(key, list);
    this.ttls.set(key, ttlMs);
    return list.items.length;
  }

  async ping(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Synchronous peek for assertions (no TTL side effects beyond expiry). */
  peek<T>(key: string): T | undefined {
    const e = this.live(key);
    return e ? (JSON.parse(e.json) as T) : undefined;
  }

  /** Synchronous peek at a list (no TTL side effects beyond expiry). */
  peekList<T>(key: string): T[] {
    return (this.liveList(key)?.items ?? []).map((json) => JSON.parse(json) as T);
  }

  size(): number {
    return this.data.size + this.lists.size;
  }
}
