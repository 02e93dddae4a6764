/**
 * Per-user inboxes: how several processes agree on one order for a user's events, and how an
 * acknowledged event survives the process that took it.
 *
 * - Posting an event is one atomic Store step (`appendIfNew`): its de-duplication marks are
 *   claimed and the event appended to `inbox:<user key>` together, before the platform is
 *   answered. A duplicate appends nothing; a store that cannot be reached throws.
 * - Whoever holds the user's lease (`owner:<user key>`, a few seconds, renewed while working)
 *   applies the inbox head-first, one entry at a time. The poster tries to take the lease in the
 *   same atomic step as its append (which then also reads the inbox); if someone holds it, the
 *   holder sees the entry. Each entry is settled in one atomic step (`settleHead`, fenced by the lease): the
 *   conversation's new state is written, the entry removed and, when the inbox is then empty,
 *   the lease released. So an append is either seen by the holder's settle or finds the lease
 *   free: never stranded. A holder that lost its lease can write nothing.
 * - A process that died leaves its lease to expire; every process sweeps for inboxes with no
 *   holder at start and every few seconds (`recover`) and drains them.
 * - Whoever waits for an entry's outcome (a desk told whether the user was reached, a broadcast's
 *   delivery) gets it directly when its own process applied it, else over pub/sub on its
 *   process's channel, with a bounded wait.
 */
import { randomUUID } from 'node:crypto';
import { asBridgeError, BridgeError, ErrorCode, isBridgeError } from './errors';
import { DEDUPE_TTL_MS, keys } from './conversations';
import { LeaseKeeper } from './lease-keeper';
import type { AppendResult, Clock, Logger, SettleOptions, Store } from './ports';

/** How long an inbox lives after its latest append: far beyond any takeover. */
const INBOX_TTL_MS = 24 * 60 * 60 * 1000;

/** Whoever waited for an entry gave up (its outcome is still applied, later). */
export const TIMED_OUT = Symbol('timed out');

/** An inbox entry: `id` first (the Store finds entries by it), `reply` the process waiting for its outcome. */
export interface EntryBase {
  id: string;
  reply?: string;
}

export interface Applied {
  /** Reported to whoever waits for the entry. */
  outcome?: unknown;
  /** Written with the entry's removal (the conversation's new state). */
  writes?: SettleOptions['writes'];
}

export interface InboxDeps<E extends EntryBase> {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** This process, as lease owner and reply channel. */
  owner: string;
  leaseMs: number;
  outcomeWaitMs: number;
  /**
   * Apply one entry; `memo` lives as long as this drain (the lease held throughout), for what the
   * next entry may reuse. A drain that won the lease with its append starts with `memo.read`: the
   * value at `readWithLease(key)`, read in the same step.
   */
  apply: (key: string, entry: E, keeper: LeaseKeeper, memo: { read?: { value: unknown } } & Record<string, unknown>) => Promise<Applied>;
  /** The key a new holder reads first (the user's state): read with the lease, one round trip less. */
  readWithLease?: (key: string) => string;
}

/** Thrown inside a drain when a fenced write was refused: stop, the next holder takes over. */
export class LeaseLost extends Error {}

export class Inboxes<E extends EntryBase> {
  private readonly waiters = new Map<string, (outcome: unknown) => void>();
  private readonly work = new Set<Promise<unknown>>();
  private unsubscribe?: () => Promise<void>;

  constructor(private readonly deps: InboxDeps<E>) {}

  static newId(): string {
    return randomUUID();
  }

  /** Listen for outcomes other processes report to this one. */
  async start(): Promise<void> {
    this.unsubscribe = await this.deps.store.subscribe<{ id: string; outcome: unknown }>(outcomeChannel(this.deps.owner), (m) =>
      this.waiters.get(m.id)?.(m.outcome),
    );
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
  }

  /** Resolves when no drain or tracked work of this process is running. */
  async idle(): Promise<void> {
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
  }

  /** Keep `work` for `idle`; it reports its own failures. */
  track(work: Promise<unknown>): void {
    this.work.add(work);
    void work.finally(() => this.work.delete(work));
  }

  /**
   * Append `entry` to `key`'s inbox unless a mark was seen, and make sure it gets applied.
   * `fresh` false: a duplicate. With `entry.reply`, `outcome` resolves with what applying it
   * reported, or `TIMED_OUT`. Throws a retryable 503 when the store cannot be reached.
   */
  async post(key: string, entry: E, marks: string[]): Promise<{ fresh: boolean; outcome?: Promise<unknown> }> {
    const { store, owner, leaseMs } = this.deps;
    const outcome = entry.reply ? this.expect(entry.id) : undefined;
    // One step: the marks, the append, the lease if it is free and then the inbox to apply.
    let answer: AppendResult<E>;
    try {
      answer = await store.appendIfNew(marks, DEDUPE_TTL_MS, keys.inbox(key), entry, INBOX_TTL_MS, {
        name: keys.owner(key),
        owner,
        ttlMs: leaseMs,
        ...(this.deps.readWithLease ? { read: this.deps.readWithLease(key) } : {}),
      });
    } catch (e) {
      outcome?.cancel();
      if (isBridgeError(e) && e.status) throw e;
      const err = asBridgeError(e);
      if (err.code !== ErrorCode.StoreUnavailable) throw e;
      throw new BridgeError(ErrorCode.StoreUnavailable, 'The bridge cannot keep the event right now; try again', {
        cause: e,
        retryable: true,
        status: 503,
      });
    }
    if (!answer.appended) {
      outcome?.cancel();
      return { fresh: false };
    }
    // Won: apply the inbox from here (read with the append). Else the holder sees the entry.
    if (answer.lease) this.track(this.drain(key, LeaseKeeper.hold(this.deps, answer.lease, leaseMs), answer.entries, answer.read));
    return { fresh: true, outcome: outcome?.promise };
  }

  /** Apply the inboxes a process left behind (its lease expired) or that nobody took. */
  async recover(): Promise<void> {
    const { store, owner, leaseMs } = this.deps;
    const prefix = keys.inbox('');
    for (const listKey of await store.keys(prefix)) {
      const key = listKey.slice(prefix.length);
      const lease = await store.acquireLease(keys.owner(key), owner, leaseMs);
      if (lease) this.track(this.drain(key, LeaseKeeper.hold(this.deps, lease, leaseMs)));
    }
  }

  /** Apply `key`'s inbox head-first until it is empty, then give the lease up (see the module's notes). */
  private async drain(key: string, keeper: LeaseKeeper, first?: E[], preread?: { value: unknown }): Promise<void> {
    const { store, logger } = this.deps;
    const listKey = keys.inbox(key);
    let released = false;
    let read = first;
    const memo: { read?: { value: unknown } } & Record<string, unknown> = preread ? { read: preread } : {};
    try {
      while (!released) {
        const entries = read ?? (await store.list<E>(listKey));
        read = undefined;
        if (entries.length === 0) {
          const settled = await store.settleHead(keeper.lease, listKey, { release: true });
          if (settled === 'lost') throw new LeaseLost();
          released = settled.released;
          continue;
        }
        for (let i = 0; i < entries.length && !released; i++) {
          if (keeper.lost) throw new LeaseLost();
          const entry = entries[i];
          const applied = await this.deps.apply(key, entry, keeper, memo);
          const last = i === entries.length - 1;
          const settled = await store.settleHead(keeper.lease, listKey, { headId: entry.id, writes: applied.writes, release: last });
          if (settled === 'lost') throw new LeaseLost();
          released = settled.released;
          this.report(entry, applied.outcome);
        }
      }
    } catch (e) {
      if (e instanceof LeaseLost) keeper.markLost('a fenced write was refused');
      else logger.error({ err: asBridgeError(e), key }, 'inbox not drained; its events stay for the next holder');
    } finally {
      if (released) keeper.forget();
      else await keeper.release();
    }
  }

  private report(entry: E, outcome: unknown): void {
    if (!entry.reply) return;
    if (entry.reply === this.deps.owner) {
      this.waiters.get(entry.id)?.(outcome);
      return;
    }
    this.deps.store
      .publish(outcomeChannel(entry.reply), { id: entry.id, outcome: outcome ?? null })
      .catch((e: unknown) =>
        this.deps.logger.warn({ err: asBridgeError(e), entry: entry.id }, 'could not report an outcome to the process waiting for it'),
      );
  }

  private expect(id: string): { promise: Promise<unknown>; cancel: () => void } {
    let timer: { cancel(): void } | undefined;
    const promise = new Promise<unknown>((resolve) => {
      const done = (outcome: unknown) => {
        this.waiters.delete(id);
        timer?.cancel();
        resolve(outcome);
      };
      this.waiters.set(id, done);
      timer = this.deps.clock.setTimer(this.deps.outcomeWaitMs, () => done(TIMED_OUT));
    });
    return {
      promise,
      cancel: () => {
        this.waiters.delete(id);
        timer?.cancel();
      },
    };
  }
}

function outcomeChannel(owner: string): string {
  return `broker:outcome:${owner}`;
}
