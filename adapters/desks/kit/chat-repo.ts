/**
 * A desk's chats in the `Store`, typed: one record per chat under `<namespace>:chat:<id>`, each
 * written with the TTL its state deserves (an open chat lives long, an ended one only as long as
 * late webhooks or the console's "recent" list need it), so any process can serve any chat and a
 * restart loses nothing.
 *
 * - `mutate` is the one read-modify-write: one at a time per chat in this process (a queue) and,
 *   with `lock`, across processes too (a lease per chat, `chat-lock.ts`), so an end and a late
 *   payload cannot overwrite each other.
 * - With `index`, ids are kept in `<namespace>:index` (`IdList`, versioned updates), so `list`
 *   never scans keys; ids whose record expired are pruned as `list` finds them.
 * - A `codec` stores less than the record (what the key or another field repeats) and reads back
 *   older shapes; a zod `schema` checks what is read, so a record the desk cannot read is a typed
 *   error, not a crash three calls later.
 */
import type { ZodType } from 'zod';
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import { KeyedQueue } from '../../../bots/core/keyed-queue';
import type { Clock, Logger, Store } from '../../../bots/core/ports';
import { ChatLocks } from './chat-lock';
import { IdList } from './id-list';

/** How a record is stored (`S`) and read back; the default stores the record as it is. */
export interface RecordCodec<T, S> {
  toStored(record: T, id: string): S;
  fromStored(stored: S, id: string): T;
}

export interface ChatRepoOptions<T, S = T> {
  store: Store;
  /** Key prefix of everything this repository writes (`console`, `sn`). */
  namespace: string;
  /** The TTL of a record as it is now (called on every `put`). */
  ttlOf: (record: T) => number;
  codec?: RecordCodec<T, S>;
  /** Checks what is read before the codec sees it. */
  schema?: ZodType<S>;
  /** Keep an index of chat ids; its TTL must outlive any record it names. */
  index?: { ttlMs: number };
  /** Hold a per-chat lease around `mutate`, so writers in other processes wait their turn. */
  lock?: { clock: Clock; logger: Logger };
}

export class ChatRepo<T, S = T> {
  /** The id list behind `list`, when the repository keeps one. */
  readonly index?: IdList;
  private readonly store: Store;
  private readonly prefix: string;
  private readonly writes = new KeyedQueue();
  private readonly locks?: ChatLocks;

  constructor(private readonly options: ChatRepoOptions<T, S>) {
    this.store = options.store;
    this.prefix = `${options.namespace}:chat:`;
    if (options.index) this.index = new IdList(options.store, `${options.namespace}:index`, options.index.ttlMs);
    if (options.lock) this.locks = new ChatLocks({ store: options.store, ...options.lock }, options.namespace);
  }

  key(id: string): string {
    return this.prefix + id;
  }

  /** The chat, or undefined when absent or expired. A fresh copy: callers may change it freely. */
  async get(id: string): Promise<T | undefined> {
    // The Store hands out a freshly deserialized value on every get (both engines keep JSON).
    const raw = await this.store.get<unknown>(this.key(id));
    if (raw === undefined) return undefined;
    const schema = this.options.schema;
    const stored = schema ? this.check(id, schema, raw) : (raw as S);
    return this.options.codec ? this.options.codec.fromStored(stored, id) : (stored as unknown as T);
  }

  /**
   * Write the chat with the TTL its state deserves. `listed: false` (a new chat, or one that may
   * have dropped out of the index) also adds its id to the index.
   */
  async put(id: string, record: T, options: { listed?: boolean } = {}): Promise<void> {
    const stored = this.options.codec ? this.options.codec.toStored(record, id) : record;
    await this.store.set(this.key(id), stored, this.options.ttlOf(record));
    if (this.index && options.listed === false) await this.index.add(id);
  }

  delete(id: string): Promise<void> {
    return this.store.delete(this.key(id));
  }

  /**
   * Read-modify-write one chat with no other write to it in between (in this process; with
   * `lock`, in any). `change` gets the chat as it is now and writes it with `put` if it changes it.
   */
  mutate<R>(id: string, change: (current: T | undefined) => Promise<R>): Promise<R> {
    const locks = this.locks;
    const write = async () => change(await this.get(id));
    return this.writes.run(id, locks ? () => locks.hold(id, write) : write);
  }

  /** Every chat in the index still in the store; ids whose record expired are dropped from it. */
  async list(): Promise<T[]> {
    const index = this.index;
    if (!index) throw new BridgeError(ErrorCode.Unknown, `${this.options.namespace}: list() needs a repository with an index`);
    const ids = await index.ids();
    const chats: (T | undefined)[] = await Promise.all(ids.map((id) => this.get(id)));
    const gone = ids.filter((_, i) => chats[i] === undefined);
    if (gone.length > 0) await index.remove(...gone);
    return chats.filter((c): c is T => c !== undefined);
  }

  private check(id: string, schema: ZodType<S>, raw: unknown): S {
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'record'}: ${i.message}`).join('; ');
    throw new BridgeError(ErrorCode.StoreUnavailable, `${this.key(id)} holds a record this desk cannot read`, {
      details: { key: this.key(id), issues },
    });
  }
}
