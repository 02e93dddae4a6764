/**
 * A tiny in-memory `Store` for console tests: a Map with TTLs. Values are JSON round-tripped on
 * the way in and out, like Redis would, so a test catches code that mutates what it read or
 * stores something that does not survive serialization.
 */
import type { InProcessCells } from '../../adapters/store/in-process';
import type { Store } from '../../bots/core/ports';
import { InProcessExtras } from './in-process-extras';

interface Entry {
  json: string;
  expiresAt: number;
  version?: number;
}

interface ListEntry {
  items: string[];
  expiresAt: number;
}

export class ConsoleMemoryStore extends InProcessExtras implements Store {
  private readonly entries = new Map<string, Entry>();
  private readonly lists = new Map<string, ListEntry>();
  /** Every TTL passed to `set` or `append`, by key (the last one), so tests can check retention. */
  readonly ttls = new Map<string, number>();
  closed = false;

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  protected async before(): Promise<void> {
    if (this.closed) throw new Error('store: closed');
  }

  protected cells(): InProcessCells {
    return {
      now: this.now,
      read: (key) => {
        if (this.liveList(key)) throw new TypeError(`store: ${key} holds a list`);
        const entry = this.live(key);
        return entry && { json: entry.json, version: entry.version ?? 0 };
      },
      write: (key, json, ttlMs, version) => {
        this.lists.delete(key);
        this.entries.set(key, { json, expiresAt: this.now() + ttlMs, version });
        this.ttls.set(key, ttlMs);
      },
      claim: (key, ttlMs) => {
        if (this.live(key) || this.liveList(key)) return false;
        this.entries.set(key, { json: 'true', expiresAt: this.now() + ttlMs });
        this.ttls.set(key, ttlMs);
        return true;
      },
      append: (key, json, ttlMs) => {
        if (this.live(key)) throw new TypeError(`${key}: the key holds a value`);
        const list = this.liveList(key) ?? { items: [], expiresAt: 0 };
        list.items.push(json);
        list.expiresAt = this.now() + ttlMs;
        this.lists.set(key, list);
        return list.items.length;
      },
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

  async get<T>(key: string): Promise<T | undefined> {
    if (this.liveList(key)) throw new TypeError(`store: ${key} holds a list`);
    const entry = this.live(key);
    return entry ? (JSON.parse(entry.json) as T) : undefined;
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    if (!(ttlMs > 0)) throw new Error(`store: every key needs a positive TTL (${key}: ${ttlMs})`);
    this.lists.delete(key);
    this.entries.set(key, { json: JSON.stringify(value), expiresAt: this.now() + ttlMs });
    this.ttls.set(key, ttlMs);
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
    this.lists.delete(key);
  }

  async append<T>(key: string, value: T, ttlMs: number): Promise<number> {
    if (!(ttlMs > 0)) throw new Error(`store: every key needs a positive TTL (${key}: ${ttlMs})`);
    if (this.live(key)) throw new TypeError(`store: ${key} holds a value`);
    const list = this.liveList(key) ?? { items: [], expiresAt: 0 };
    list.items.push(JSON.stringify(value));
    list.expiresAt = this.now() + ttlMs;
    this.lists.set(key, list);
    this.ttls.set(key, ttlMs);
    return list.items.length;
  }

  async list<T>(key: string): Promise<T[]> {
    if (this.live(key)) throw new TypeError(`store: ${key} holds a value`);
    return (this.liveList(key)?.items ?? []).map((json) => JSON.parse(json) as T);
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    if (this.live(key) || this.liveList(key)) return false;
    await this.set(key, true, ttlMs);
    return true;
  }

  async keys(prefix: string): Promise<string[]> {
    return [...this.entries.keys(), ...this.lists.keys()].filter((k) => k.startsWith(prefix) && (this.live(k) || this.liveList(k)));
  }

  async ping(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private liveList(key: string): ListEntry | undefined {
    const list = this.lists.get(key);
    if (list && list.expiresAt <= this.now()) {
      this.lists.delete(key);
      return undefined;
    }
    return list;
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
