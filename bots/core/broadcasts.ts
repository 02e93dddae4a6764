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
 *
 * This file is the service (create, status, resume, stop); one broadcast's delivery run, with its
 * claims and fenced progress, is broadcast-delivery.ts.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Broker } from './broker';
import { broadcastKeys, type BroadcastMessage, type BroadcastOutcome } from './broadcast-message';
import { type BroadcastRecord, type BroadcastDeliveryDeps, deliverBroadcast, type Page, PAGE_SIZE } from './broadcast-delivery';
import { asBridgeError } from './errors';
import { LeaseKeeper } from './lease-keeper';
import { Pacer } from './pacer';
import type { Clock, Logger, Store, SurfaceKind } from './ports';

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
  disabledNote: z.string().default('Buttons are disabled while you are chatting with an agent. They come back when the chat ends.'),
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

/** A process that dies mid-broadcast leaves it to the next one after this long. */
const LEASE_MS = 30_000;

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
    const { store, clock, broker, settings } = this.deps;
    const deps: BroadcastDeliveryDeps = {
      store,
      clock,
      broker,
      pacer: this.pacer,
      concurrency: settings.concurrency,
      disabledNote: settings.disabledNote,
      ttlMs: this.ttl(),
      stopping: () => this.stopping,
    };
    const job = deliverBroadcast(deps, record, recipients, keeper)
      .catch((e) => this.deps.logger.error({ err: asBridgeError(e), broadcastId: record.id }, 'broadcast delivery stopped'))
      .finally(() => keeper.release())
      .finally(() => this.running.delete(record.id));
    this.running.set(record.id, job);
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
