/**
 * The memory store's reference engine: keyv 5 (its own in-process Map) through its public API
 * only. Keyv's calls are asynchronous and it has no "set if absent", so atomicity is ours:
 * operations run one at a time (a queue), and each runs as a small transaction. The operation
 * runs over what has been fetched so far; when it reads a key not fetched yet, it stops
 * (`Unfetched`), the key is fetched with `keyv.get` (every key with `keyv.iterator` when it
 * asks for the key list), and it runs again from the start. When it completes, its writes go
 * to keyv (`set`/`delete`) before the next operation starts. Nothing is written by a run that
 * stopped or threw, so a caller error leaves the store as it was.
 *
 * keyv gets no TTL: expiry is the entry's own, on the store's clock (see `memory-engine.ts`);
 * the store's sweep deletes expired entries.
 */
import type { Keyv } from 'keyv';
import type { MemoryEngine, MemoryEntries, MemoryEntry } from './memory-engine';

/** Thrown inside an operation to ask for `key` (undefined: every key), then caught here. */
class Unfetched {
  constructor(readonly key: string | undefined) {}
}

/** What one run of an operation sees: fetched entries under its own writes. */
class Transaction implements MemoryEntries {
  /** Written entries; undefined for a deletion. */
  readonly writes = new Map<string, MemoryEntry | undefined>();

  constructor(
    private readonly fetched: ReadonlyMap<string, MemoryEntry | undefined>,
    private readonly complete: boolean,
  ) {}

  get(key: string): MemoryEntry | undefined {
    if (this.writes.has(key)) return this.writes.get(key);
    if (this.fetched.has(key)) return this.fetched.get(key);
    if (this.complete) return undefined;
    throw new Unfetched(key);
  }

  set(key: string, entry: MemoryEntry): void {
    this.writes.set(key, entry);
  }

  delete(key: string): void {
    this.writes.set(key, undefined);
  }

  keys(): Iterable<string> {
    if (!this.complete) throw new Unfetched(undefined);
    const keys = new Set<string>();
    for (const [key, entry] of this.fetched) if (entry !== undefined) keys.add(key);
    for (const [key, entry] of this.writes) {
      if (entry === undefined) keys.delete(key);
      else keys.add(key);
    }
    return keys;
  }
}

export class KeyvMemoryEngine implements MemoryEngine {
  readonly name = 'keyv';
  /** The end of the queue: the previous operation, settled either way. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly keyv: Keyv<MemoryEntry>) {}

  atomically<T>(op: (entries: MemoryEntries) => T): Promise<T> {
    const turn = this.tail.then(() => this.transact(op));
    this.tail = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  async storedKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const [key] of this.iterator()) keys.push(String(key));
    return keys;
  }

  async clear(): Promise<void> {
    await this.keyv.clear();
  }

  private async transact<T>(op: (entries: MemoryEntries) => T): Promise<T> {
    const fetched = new Map<string, MemoryEntry | undefined>();
    let complete = false;
    for (;;) {
      const run = new Transaction(fetched, complete);
      let result: T;
      try {
        result = op(run);
      } catch (e) {
        if (!(e instanceof Unfetched)) throw e;
        if (e.key !== undefined) {
          fetched.set(e.key, await this.keyv.get(e.key));
        } else {
          for await (const [key, entry] of this.iterator()) fetched.set(String(key), entry as MemoryEntry);
          complete = true;
        }
        continue;
      }
      for (const [key, entry] of run.writes) {
        if (entry === undefined) await this.keyv.delete(key);
        else await this.keyv.set(key, entry);
      }
      return result;
    }
  }

  private iterator(): AsyncGenerator<unknown[], void> {
    if (!this.keyv.iterator) throw new Error('KeyvMemoryEngine: keyv offers no iterator for its Map');
    return this.keyv.iterator(undefined);
  }
}
