/**
 * Broadcasts: one notification to many users, delivered in the background under the platforms'
 * rate limits, with progress and per-recipient outcomes kept in the Store.
 *
 * - The request is answered at once; delivery runs here, paced by `Pacer`.
 * - Each recipient is claimed in the Store before its send, so a resumed or second process never
 *   sends twice. A recipient claimed but not recorded when a process died is reported `failed`
 *   ("interrupted"), not re-sent: a duplicate notification is worse than a visible failure.
 * - A process holds a Store lease on the broadcast while it works (`LeaseKeeper`: renewed while
 *   it delivers, released when it is done or stops). At start-up a process resumes the unfinished
 *   broadcasts whose lease it acquires: with Redis, one process each, however many start at once.
 *   Claims and progress are written under the lease's fencing token, so a process that lost the
 *   lease stops and cannot overwrite the new holder's progress.
 * - Delivery to one user runs on that user's queue in the broker, so it cannot race a chat.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Broker } from './broker';
import { broadcastKeys, type BroadcastMessage, type BroadcastOutcome } from './broadcast-message';
import { asBridgeError, ErrorCode, isBridgeError } from './errors';
import { LeaseKeeper } from './lease-keeper';
import { Pacer } from './pacer';
import type { Clock, Logger, Store, SurfaceKind } from './ports';
import { untilStoreAnswers, untilStoreBack } from './store-retry';

export const broadcastSettingsSchema = z.object({
  /** Bearer token for the broadcast API. Unset: a random one is generated and printed at start-up. */
  token: z.string().min(16, 'at least 16 characters').optional(),
  /** Sends per second per surface, under the platforms' limits (Teams: 50/s per tenant). */
  ratePerSecond: z
    .object({
      teams: z.number().positive().default(40),
      slack: z.number().positive().default(20),
      web: z.number().positive().default(100),
    })
    .default({}),
  /** Minimum time between two messages to the same user (Slack allows ~1/s per channel). */
  minIntervalPerUserMs: z.number().int().min(0).default(1100),
  /** Sends in flight at once, across recipients, shared by the surfaces (each still waits for the pacer). */
  concurrency: z.number().int().min(1).max(64).default(8),
  /** Shown instead of the buttons while the user chats with an agent. */
  disabledNote: z
    .string()
    .default('Buttons are disabled while you are chatting with an agent. They come back when the chat ends.'),
  /** How long a broadcast's progress report is kept. */
  retentionDays: z.number().int().min(1).default(7),
});
export type BroadcastSettings = z.infer<typeof broadcastSettingsSchema>;

export interface Recipient {
  surface: SurfaceKind;
  user: string;
}

export interface RecipientResult extends Recipient {
  outcome: BroadcastOutcome | 'pending';
  reason?: string;
  /** The answer, when the user pressed one of the broadcast's answer buttons. */
  answer?: string;
}

interface BroadcastRecord {
  id: string;
  createdAt: number;
  message: BroadcastMessage;
  total: number;
  status: 'running' | 'done';
  finishedAt?: number;
}

/** Outcomes of one page of recipients, by index within the page. */
type Page = Record<number, { outcome: BroadcastOutcome; reason?: string }>;

const PAGE_SIZE = 500;
/** A process that dies mid-broadcast leaves it to the next one after this long. */
const LEASE_MS = 30_000;
const FLUSH_MS = 1_000;
const RETRIES = 3;

export interface BroadcastServiceDeps {
  store: Store;
  broker: Pick<Broker, 'deliverBroadcast'>;
  clock: Clock;
  logger: Logger;
  settings: BroadcastSettings;
  /** Users the bot knows, for `recipients: "all"`. */
  knownUsers: () => Promise<Recipient[]>;
  newId?: () => string;
  /** Who holds the leases of this service's broadcasts; unique per process (default: random). */
  owner?: string;
  /** The broadcast lease's TTL (default 30 s); tests shorten it. */
  leaseMs?: number;
}

export class BroadcastService {
  private readonly pacer: Pacer;
  private readonly running = new Map<string, Promise<void>>();
  private stopping = false;
  private readonly owner: string;
  /** The TTL of a broadcast's lease: how long a holder that vanished keeps others from resuming it. */
  readonly leaseMs: number;

  constructor(private readonly deps: BroadcastServiceDeps) {
    this.owner = deps.owner ?? `broadcasts-${randomUUID()}`;
    this.leaseMs = deps.leaseMs ?? LEASE_MS;
    this.pacer = new Pacer({
      clock: deps.clock,
      minIntervalPerUserMs: deps.settings.minIntervalPerUserMs,
      ratePerSecond: (surface) => deps.settings.ratePerSecond[surface as SurfaceKind] ?? 10,
    });
  }

  /** Record the broadcast and start delivering it; resolves before any delivery. */
  async create(recipients: Recipient[] | 'all', message: BroadcastMessage): Promise<{ id: string; recipients: number }> {
    const list = recipients === 'all' ? await this.deps.knownUsers() : dedupe(recipients);
    const now = this.deps.clock.now();
    const record: BroadcastRecord = {
      id: this.deps.newId?.() ?? `b_${randomUUID()}`,
      createdAt: now,
      message,
      total: list.length,
      status: list.length === 0 ? 'done' : 'running',
      finishedAt: list.length === 0 ? now : undefined,
    };
    // The record first: a record the store refuses leaves nothing behind. Recipients that cannot
    // be written take their record with them (a resumed record without them would deliver to
    // nobody). The lease last: a process that resumed the new broadcast in between holds it, and
    // then that process delivers it.
    await this.deps.store.set(broadcastKeys.record(record.id), record, this.ttl());
    try {
      await this.deps.store.set(broadcastKeys.recipients(record.id), list, this.ttl());
    } catch (e) {
      await this.deps.store.delete(broadcastKeys.record(record.id)).catch(() => undefined);
      throw e;
    }
    const keeper = list.length > 0 ? await this.acquire(record.id) : undefined;
    if (keeper) this.launch(record, list, keeper);
    return { id: record.id, recipients: list.length };
  }

  /** Progress and the outcome per recipient; undefined for an unknown id. */
  async status(id: string) {
    const record = await this.deps.store.get<BroadcastRecord>(broadcastKeys.record(id));
    if (!record) return undefined;
    const recipients = (await this.deps.store.get<Recipient[]>(broadcastKeys.recipients(id))) ?? [];
    const results: RecipientResult[] = [];
    for (let start = 0; start < recipients.length; start += PAGE_SIZE) {
      const page = (await this.deps.store.get<Page>(broadcastKeys.page(id, start / PAGE_SIZE))) ?? {};
      recipients.slice(start, start + PAGE_SIZE).forEach((r, i) => {
        const done = page[i];
        results.push({ ...r, outcome: done?.outcome ?? 'pending', ...(done?.reason ? { reason: done.reason } : {}) });
      });
    }
    await this.addAnswers(id, results);
    const counts = { delivered: 0, delivered_buttons_disabled: 0, unknown_user: 0, failed: 0, pending: 0 };
    for (const r of results) counts[r.outcome] += 1;
    return {
      id,
      createdAt: new Date(record.createdAt).toISOString(),
      status: record.status,
      finishedAt: record.finishedAt ? new Date(record.finishedAt).toISOString() : undefined,
      total: results.length,
      counts,
      recipients: results,
    };
  }

  /** Resume broadcasts left unfinished by a stopped or crashed process. */
  async resume(): Promise<void> {
    for (const key of await this.deps.store.keys('broadcast:')) {
      if (!/^broadcast:[^:]+$/.test(key)) continue;
      const seen = await this.deps.store.get<BroadcastRecord>(key);
      if (seen?.status !== 'running' || this.running.has(seen.id)) continue;
      const keeper = await this.acquire(seen.id);
      if (!keeper) continue; // another process is delivering it
      // Read again under the lease: its last holder may have finished it since.
      const record = await this.deps.store.get<BroadcastRecord>(key);
      if (record?.status !== 'running') {
        await keeper.release();
        continue;
      }
      const recipients = (await this.deps.store.get<Recipient[]>(broadcastKeys.recipients(record.id))) ?? [];
      this.deps.logger.info({ broadcastId: record.id, recipients: recipients.length, token: keeper.lease.token }, 'resuming a broadcast');
      this.launch(record, recipients, keeper);
    }
  }

  /** Stop after the sends in flight; progress is saved and the lease released for the next process. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.running.values());
  }

  private acquire(id: string): Promise<LeaseKeeper | undefined> {
    const { store, clock, logger } = this.deps;
    return LeaseKeeper.acquire({ store, clock, logger }, broadcastKeys.lease(id), this.owner, this.leaseMs);
  }

  private launch(record: BroadcastRecord, recipients: Recipient[], keeper: LeaseKeeper): void {
    const job = this.deliver(record, recipients, keeper)
      .catch((e) => this.deps.logger.error({ err: asBridgeError(e), broadcastId: record.id }, 'broadcast delivery stopped'))
      .finally(() => keeper.release())
      .finally(() => this.running.delete(record.id));
    this.running.set(record.id, job);
  }

  private async deliver(record: BroadcastRecord, recipients: Recipient[], keeper: LeaseKeeper): Promise<void> {
    const { store, settings } = this.deps;
    const pages = new Map<number, Page>();
    const dirty = new Set<number>();
    for (let p = 0; p * PAGE_SIZE < recipients.length; p++) {
      pages.set(p, (await store.get<Page>(broadcastKeys.page(record.id, p))) ?? {});
    }
    const note = (index: number, result: { outcome: BroadcastOutcome; reason?: string }) => {
      const p = Math.floor(index / PAGE_SIZE);
      pages.get(p)![index % PAGE_SIZE] = result;
      dirty.add(p);
    };
    let lastFlush = this.deps.clock.now();
    // A store outage pauses the delivery while the lease holds (its renewals are retried too).
    const retried = <T>(call: () => Promise<T>) => untilStoreBack(this.deps.clock, () => !this.stopping && !keeper.lost, call);
    // Progress is written under the lease: once another process holds it, these writes are refused.
    const fenced = async (key: string, value: unknown) => {
      if (!keeper.lost && !(await retried(() => store.setIfLeaseHeld(keeper.lease, key, value, this.ttl())))) keeper.markLost();
    };
    const flush = async (force = false) => {
      const now = this.deps.clock.now();
      if (!force && now - lastFlush < FLUSH_MS) return;
      lastFlush = now;
      for (const p of [...dirty]) {
        dirty.delete(p);
        await fenced(broadcastKeys.page(record.id, p), pages.get(p)!);
      }
      await fenced(broadcastKeys.record(record.id), record);
    };

    // One lane per surface, each with its own workers: a surface that must go slowly (Slack's
    // 20/s) never holds the workers a faster one (Teams' 40/s) could use. The concurrency is
    // shared between the lanes. Measured: 1,000 recipients (80% Teams at 200/s, 20% Slack at
    // 50/s) took 8.4 s with one shared pool (Slack's first, then Teams'), 4 s with lanes.
    const lanes = new Map<SurfaceKind, number[]>();
    recipients.forEach((r, index) => {
      const lane = lanes.get(r.surface) ?? [];
      lane.push(index);
      lanes.set(r.surface, lane);
    });
    const perLane = Math.max(1, Math.ceil(settings.concurrency / lanes.size));
    const workers: Promise<void>[] = [];
    for (const lane of lanes.values()) {
      let next = 0;
      const worker = async () => {
        while (!this.stopping && !keeper.lost) {
          if (next >= lane.length) return;
          const index = lane[next++];
          if (pages.get(Math.floor(index / PAGE_SIZE))![index % PAGE_SIZE]) continue; // done before a restart
          // The claim checks the lease's token in the same step: a process that lost the lease sends nothing more.
          const claim = await retried(() => store.claimIfLeaseHeld(keeper.lease, broadcastKeys.claim(record.id, index), this.ttl()));
          if (claim === 'lost') {
            keeper.markLost();
            return;
          }
          if (claim === 'taken') {
            note(index, { outcome: 'failed', reason: 'interrupted by a restart; not sent again to avoid a duplicate' });
            continue;
          }
          const result = await this.deliverOne(record, recipients[index], () => !this.stopping && !keeper.lost);
          // Given up waiting for the store (stopping, lease lost): claimed, not sent; whoever resumes reports it.
          if (!result) return;
          note(index, result);
          await flush();
        }
      };
      for (let w = 0; w < Math.min(perLane, lane.length); w++) workers.push(worker());
    }
    await Promise.all(workers);
    if (!this.stopping && !keeper.lost) {
      record.status = 'done';
      record.finishedAt = this.deps.clock.now();
    }
    await flush(true);
  }

  private async deliverOne(record: BroadcastRecord, to: Recipient, keepTrying: () => boolean): Promise<{ outcome: BroadcastOutcome; reason?: string } | undefined> {
    for (let attempt = 1; ; attempt++) {
      // Counted against the limits until the platform answered (see Pacer.run).
      const result = await this.pacer
        .run(to.surface, `${to.surface}:${to.user}`, async () => {
          // An outage is waited out before the send, not after: a send it cuts is reported, never repeated.
          if (!(await untilStoreAnswers(this.deps.clock, keepTrying, () => this.deps.store.ping()))) return undefined;
          return this.deps.broker.deliverBroadcast(to.surface, to.user, record.id, record.message, this.deps.settings.disabledNote);
        })
        .catch((e: unknown) => {
          // Not sent again: the send itself may have happened before the store failed.
          if (isBridgeError(e, ErrorCode.StoreUnavailable)) return { outcome: 'failed' as const, reason: 'the store was unreachable; not sent again to avoid a duplicate', retryable: false };
          throw e;
        });
      if (!result) return undefined;
      if (result.outcome !== 'failed' || !result.retryable || attempt >= RETRIES) {
        return { outcome: result.outcome, ...(result.reason ? { reason: result.reason } : {}) };
      }
      // The surface's own client already honoured Retry-After; back off a little more before trying again.
      await new Promise<void>((resolve) => this.deps.clock.setTimer(1000 * 2 ** (attempt - 1), resolve));
    }
  }

  private async addAnswers(id: string, results: RecipientResult[]): Promise<void> {
    const prefix = broadcastKeys.answer(id, '');
    const answerKeys = await this.deps.store.keys(prefix);
    if (answerKeys.length === 0) return;
    const byUser = new Map(results.map((r) => [`${r.surface}:${r.user}`, r]));
    for (const key of answerKeys) {
      const answer = await this.deps.store.get<{ title: string }>(key);
      const r = byUser.get(key.slice(prefix.length));
      if (answer && r) r.answer = answer.title;
    }
  }

  private ttl(): number {
    return this.deps.settings.retentionDays * 24 * 60 * 60 * 1000;
  }
}

function dedupe(recipients: Recipient[]): Recipient[] {
  const seen = new Set<string>();
  return recipients.filter((r) => {
    const key = `${r.surface}:${r.user}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
