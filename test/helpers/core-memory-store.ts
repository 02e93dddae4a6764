/**
 * A tiny Map-based Store for core tests: TTLs (against an injectable clock), atomic claim,
 * prefix keys. Values are JSON-cloned so tests catch accidental sharing of mutable state.
 * `latency` lets a test slow down individual operations to provoke races.
 */
import type { Store } from '../../bots/core/ports';

export type StoreOp = 'get' | 'set' | 'delete' | 'claim' | 'keys';

export class MemoryStore implements Store {
  private readonly data = new Map<string, { json: string; expiresAt: number }>();
  readonly ops: { op: StoreOp; key: string }[] = [];
  /** Awaited before each operation; return a promise to delay it. */
  latency?: (op: StoreOp, key: string) => Promise<void> | void;
  closed = false;

  constructor(private readonly now: () => number = () => Date.now()) {}

  private async before(op: StoreOp, key: string): Promise<void> {
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

  async get<T>(key: string): Promise<T | undefined> {
    await this.before('get', key);
    const e = this.live(key);
    return e ? (JSON.parse(e.json) as T) : undefined;
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    await this.before('set', key);
    if (!(ttlMs > 0)) throw new Error(`set(${key}) needs a positive TTL, got ${ttlMs}`);
    this.data.set(key, { json: JSON.stringify(value), expiresAt: this.now() + ttlMs });
  }

  async delete(key: string): Promise<void> {
    await this.before('delete', key);
    this.data.delete(key);
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    await this.before('claim', key);
    if (this.live(key)) return false;
    this.data.set(key, { json: 'true', expiresAt: this.now() + ttlMs });
    return true;
  }

  async keys(prefix: string): Promise<string[]> {
    await this.before('keys', prefix);
    return [...this.data.keys()].filter((k) => k.startsWith(prefix) && this.live(k));
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

  size(): number {
    return this.data.size;
  }
}
