/**
 * The memory store's rules over one atomic operation's entries, the same for every engine:
 * expiry against the store's clock (an expired entry is dropped when met), a key is either a
 * value or a list (as in Redis: `get` of a list and `append` to a value are the caller's
 * `TypeError`; `set` replaces a list), `claim` sets a key only when nothing live is there. It is
 * also what `InProcessCoordination` reads and writes (leases, fenced writes, compare-and-set).
 */
import type { InProcessCells } from './in-process';
import { CLAIMED } from './json';
import { isList, type MemoryEntries, type MemoryEntry, type MemoryValue } from './memory-engine';

const CLAIMED_JSON = JSON.stringify(CLAIMED);

export function wrongKind(key: string, holds: 'a list' | 'a value'): TypeError {
  return new TypeError(`Store: ${JSON.stringify(key)} holds ${holds}; a key is either a value (get/set/claim) or a list (append/list)`);
}

export class MemoryCells implements InProcessCells {
  constructor(
    private readonly entries: MemoryEntries,
    private readonly clock: () => number,
  ) {}

  now(): number {
    return this.clock();
  }

  /** The live value at `key`; a `TypeError` when it holds a list. */
  value(key: string): MemoryValue | undefined {
    const entry = this.live(key);
    if (entry && isList(entry)) throw wrongKind(key, 'a list');
    return entry;
  }

  read(key: string): { json: string; version: number } | undefined {
    return this.value(key);
  }

  write(key: string, json: string, ttlMs: number, version = 0): void {
    this.entries.set(key, { json, expires: this.clock() + ttlMs, version });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  claim(key: string, ttlMs: number): boolean {
    // A list is a key too (Redis `SET NX` sees it).
    if (this.live(key)) return false;
    this.write(key, CLAIMED_JSON, ttlMs);
    return true;
  }

  append(key: string, json: string, ttlMs: number): number {
    const items = [...this.list(key), json];
    this.entries.set(key, { items, expires: this.clock() + ttlMs });
    return items.length;
  }

  list(key: string): readonly string[] {
    const entry = this.live(key);
    if (entry && !isList(entry)) throw wrongKind(key, 'a value');
    return entry?.items ?? [];
  }

  shift(key: string): void {
    const entry = this.live(key);
    if (!entry || !isList(entry)) return;
    if (entry.items.length <= 1) this.entries.delete(key);
    else this.entries.set(key, { items: entry.items.slice(1), expires: entry.expires });
  }

  /** The live keys that start with `prefix` (expired ones are dropped on the way). */
  keys(prefix: string): string[] {
    const found: string[] = [];
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix) && this.live(key)) found.push(key);
    return found;
  }

  /** When `key` expires (epoch ms on the store's clock); undefined when absent. */
  expiresAt(key: string): number | undefined {
    return this.live(key)?.expires;
  }

  /** Drop every expired entry. */
  sweep(): void {
    for (const key of [...this.entries.keys()]) this.live(key);
  }

  private live(key: string): MemoryEntry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires <= this.clock()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
