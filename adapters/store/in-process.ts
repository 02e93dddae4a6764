/**
 * Leases, fenced writes and compare-and-set for the memory store, over synchronous reads and
 * writes of its cells (`memory-cells.ts`) inside one atomic operation of its engine: with no
 * `await` inside, nothing else runs in between. The rules are those of the Redis scripts
 * (`redis-scripts.ts`); the record format is in `lease-record.ts`.
 */
import type { Lease, LeaseHolder, SettleResult, TakeLease } from '../../bots/core/ports';
import type { LeaseEngine } from './coordination';
import { LEASE_GRACE_MS, notALease, parseLeaseRecord, type LeaseRecord } from './lease-record';

/** Synchronous access to the keys of an in-process store. */
export interface InProcessCells {
  now(): number;
  /**
   * The live value at `key`: its JSON and its version (0 when written by `set`); undefined when
   * absent. Throws a `TypeError` when the key holds a list.
   */
  read(key: string): { json: string; version: number } | undefined;
  /** Write a value (replacing a list), with a version when written by `setVersioned`. */
  write(key: string, json: string, ttlMs: number, version?: number): void;
  /** Remove the value or list at `key`. */
  delete(key: string): void;
  /** `claim`: set `key` to `true` unless a value or list is there. */
  claim(key: string, ttlMs: number): boolean;
  /** `append`: push `json` at the end of the list at `key` (TTL refreshed); the new length. */
  append(key: string, json: string, ttlMs: number): number;
  /** The live list's items as JSON (`[]` when none); not to be changed by the caller. */
  list(key: string): readonly string[];
  /** Remove the list's first item; the list goes once empty. */
  shift(key: string): void;
}

/** What `appendIfNew` answers, entries as JSON. */
export interface AppendJson {
  appended: boolean;
  lease?: Lease;
  entries?: string[];
  /** `take.read`'s value, decoded. */
  read?: { value: unknown };
}

/** What `settleHead` gets: values as JSON. */
export interface SettleJson {
  headId?: string;
  writes: { key: string; json: string; ttlMs: number }[];
  release: boolean;
}

export class InProcessCoordination implements LeaseEngine {
  constructor(private readonly cells: InProcessCells) {}

  acquireLease(name: string, owner: string, ttlMs: number): Lease | undefined {
    const now = this.cells.now();
    const current = this.record(name);
    if (current && held(current, now)) return undefined;
    const token = Math.max((current?.token ?? 0) + 1, now);
    this.writeRecord(name, { owner, token, heldUntil: now + ttlMs }, now);
    return { name, owner, token };
  }

  renewLease(name: string, owner: string, token: number, ttlMs: number): boolean {
    const now = this.cells.now();
    if (!this.heldBy(name, owner, token, now)) return false;
    this.writeRecord(name, { owner, token, heldUntil: now + ttlMs }, now);
    return true;
  }

  releaseLease(name: string, owner: string, token: number): boolean {
    const now = this.cells.now();
    if (!this.heldBy(name, owner, token, now)) return false;
    this.releaseRecord(name, token, now);
    return true;
  }

  leaseHolder(name: string): LeaseHolder | undefined {
    const current = this.record(name);
    return current && held(current, this.cells.now()) ? { owner: current.owner, token: current.token } : undefined;
  }

  setIfLeaseHeld(lease: Lease, key: string, json: string, ttlMs: number): boolean {
    if (!this.heldBy(lease.name, lease.owner, lease.token, this.cells.now())) return false;
    this.cells.write(key, json, ttlMs);
    return true;
  }

  claimIfLeaseHeld(lease: Lease, key: string, ttlMs: number): 'claimed' | 'taken' | 'lost' {
    if (!this.heldBy(lease.name, lease.owner, lease.token, this.cells.now())) return 'lost';
    return this.cells.claim(key, ttlMs) ? 'claimed' : 'taken';
  }

  appendIfNew(marks: string[], markTtlMs: number, listKey: string, json: string, listTtlMs: number, take?: TakeLease): AppendJson {
    let fresh = true;
    for (const mark of marks) if (!this.cells.claim(mark, markTtlMs)) fresh = false;
    if (!fresh) return { appended: false };
    this.cells.append(listKey, json, listTtlMs);
    const lease = take && this.acquireLease(take.name, take.owner, take.ttlMs);
    if (!lease) return { appended: true };
    const entries = [...this.cells.list(listKey)];
    if (take.read === undefined) return { appended: true, lease, entries };
    const found = this.cells.read(take.read);
    return { appended: true, lease, entries, read: { value: found && (JSON.parse(found.json) as unknown) } };
  }

  settleHead(lease: Lease, listKey: string, o: SettleJson): SettleResult | 'lost' {
    const now = this.cells.now();
    if (!this.heldBy(lease.name, lease.owner, lease.token, now)) return 'lost';
    for (const w of o.writes) this.cells.write(w.key, w.json, w.ttlMs);
    const head = this.cells.list(listKey)[0];
    if (o.headId !== undefined && head !== undefined && isEntry(head, o.headId)) this.cells.shift(listKey);
    const remaining = this.cells.list(listKey).length;
    const released = o.release === true && remaining === 0;
    if (released) this.releaseRecord(lease.name, lease.token, now);
    return { remaining, released };
  }

  getVersioned(key: string): { value: unknown; version: number } | undefined {
    const found = this.cells.read(key);
    return found && { value: JSON.parse(found.json) as unknown, version: found.version };
  }

  setVersioned(key: string, json: string, expectedVersion: number, ttlMs: number): boolean {
    const current = this.cells.read(key)?.version ?? 0;
    if (current !== expectedVersion) return false;
    this.cells.write(key, json, ttlMs, current + 1);
    return true;
  }

  private record(name: string): LeaseRecord | undefined {
    const found = this.cells.read(name);
    if (!found) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(found.json);
    } catch {
      throw notALease(name);
    }
    return parseLeaseRecord(name, value);
  }

  private heldBy(name: string, owner: string, token: number, now: number): boolean {
    const current = this.record(name);
    return !!current && held(current, now) && current.owner === owner && current.token === token;
  }

  private writeRecord(name: string, record: LeaseRecord, now: number): void {
    this.cells.write(name, JSON.stringify(record), record.heldUntil - now + LEASE_GRACE_MS);
  }

  /** A released lease's record goes once the clock has passed its token (see `lease-record.ts`). */
  private releaseRecord(name: string, token: number, now: number): void {
    if (token < now) this.cells.delete(name);
    else this.cells.write(name, JSON.stringify({ owner: '', token, heldUntil: now }), token - now + 1);
  }
}

function held(record: LeaseRecord, now: number): boolean {
  return record.owner !== '' && record.heldUntil > now;
}

/** Whether an inbox entry's JSON starts with `{"id":<id>` (its id first, as `appendIfNew` requires). */
export function isEntry(json: string, id: string): boolean {
  const prefix = `{"id":${JSON.stringify(id)}`;
  const next = json.charAt(prefix.length);
  return json.startsWith(prefix) && (next === ',' || next === '}');
}
