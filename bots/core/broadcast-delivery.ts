/**
 * The delivery of one broadcast by the process that holds its lease (see broadcasts.ts for the
 * whole story): each recipient is claimed in the Store before its send, under the lease's fencing
 * token, so a resumed or second process never sends twice, and a process that lost the lease
 * stops. Outcomes are kept in pages of recipients and written (fenced too) at most once a
 * `FLUSH_MS`, and once more at the end.
 */
import type { Broker } from './broker';
import { broadcastKeys, type BroadcastMessage, type BroadcastOutcome } from './broadcast-message';
import type { Recipient } from './broadcasts';
import { ErrorCode, isBridgeError } from './errors';
import type { LeaseKeeper } from './lease-keeper';
import type { Pacer } from './pacer';
import type { Clock, Store, SurfaceKind } from './ports';
import { untilStoreAnswers, untilStoreBack } from './store-retry';

export interface BroadcastRecord {
  id: string;
  createdAt: number;
  message: BroadcastMessage;
  total: number;
  status: 'running' | 'done';
  finishedAt?: number;
}

/** Outcomes of one page of recipients, by index within the page. */
export type Page = Record<number, { outcome: BroadcastOutcome; reason?: string }>;

/** Recipients per page of outcomes (one Store value each). */
export const PAGE_SIZE = 500;
const FLUSH_MS = 1_000;
const RETRIES = 3;

export interface BroadcastDeliveryDeps {
  store: Store;
  clock: Clock;
  broker: Pick<Broker, 'deliverBroadcast'>;
  /** The service's pacer: shared by its broadcasts, so together they stay under the limits. */
  pacer: Pacer;
  /** Sends in flight at once, shared by the surfaces' lanes. */
  concurrency: number;
  /** Shown instead of the buttons while the user chats with an agent. */
  disabledNote: string;
  /** How long progress is kept. */
  ttlMs: number;
  /** The service is stopping: finish the sends in flight, start no more. */
  stopping: () => boolean;
}

/** Deliver `record` to its recipients while `keeper` holds its lease; progress is saved as it goes. */
export async function deliverBroadcast(
  deps: BroadcastDeliveryDeps,
  record: BroadcastRecord,
  recipients: Recipient[],
  keeper: LeaseKeeper,
): Promise<void> {
  const { store } = deps;
  const pages: Page[] = []; // by page number, every page loaded below
  const dirty = new Set<number>();
  for (let p = 0; p * PAGE_SIZE < recipients.length; p++) {
    pages[p] = (await store.get<Page>(broadcastKeys.page(record.id, p))) ?? {};
  }
  const note = (index: number, result: { outcome: BroadcastOutcome; reason?: string }) => {
    const p = Math.floor(index / PAGE_SIZE);
    pages[p][index % PAGE_SIZE] = result;
    dirty.add(p);
  };
  let lastFlush = deps.clock.now();
  // A store outage pauses the delivery while the lease holds (its renewals are retried too).
  const retried = <T>(call: () => Promise<T>) => untilStoreBack(deps.clock, () => !deps.stopping() && !keeper.lost, call);
  // Progress is written under the lease: once another process holds it, these writes are refused.
  const fenced = async (key: string, value: unknown) => {
    if (!keeper.lost && !(await retried(() => store.setIfLeaseHeld(keeper.lease, key, value, deps.ttlMs)))) keeper.markLost();
  };
  const flush = async (force = false) => {
    const now = deps.clock.now();
    if (!force && now - lastFlush < FLUSH_MS) return;
    lastFlush = now;
    for (const p of [...dirty]) {
      dirty.delete(p);
      await fenced(broadcastKeys.page(record.id, p), pages[p]);
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
  const perLane = Math.max(1, Math.ceil(deps.concurrency / lanes.size));
  const workers: Promise<void>[] = [];
  for (const lane of lanes.values()) {
    let next = 0;
    const worker = async () => {
      while (!deps.stopping() && !keeper.lost) {
        if (next >= lane.length) return;
        const index = lane[next++];
        if (pages[Math.floor(index / PAGE_SIZE)][index % PAGE_SIZE]) continue; // done before a restart
        // The claim checks the lease's token in the same step: a process that lost the lease sends nothing more.
        const claim = await retried(() => store.claimIfLeaseHeld(keeper.lease, broadcastKeys.claim(record.id, index), deps.ttlMs));
        if (claim === 'lost') {
          keeper.markLost();
          return;
        }
        if (claim === 'taken') {
          note(index, { outcome: 'failed', reason: 'interrupted by a restart; not sent again to avoid a duplicate' });
          continue;
        }
        const result = await deliverOne(deps, record, recipients[index], () => !deps.stopping() && !keeper.lost);
        // Given up waiting for the store (stopping, lease lost): claimed, not sent; whoever resumes reports it.
        if (!result) return;
        note(index, result);
        await flush();
      }
    };
    for (let w = 0; w < Math.min(perLane, lane.length); w++) workers.push(worker());
  }
  await Promise.all(workers);
  if (!deps.stopping() && !keeper.lost) {
    record.status = 'done';
    record.finishedAt = deps.clock.now();
  }
  await flush(true);
}

async function deliverOne(
  deps: BroadcastDeliveryDeps,
  record: BroadcastRecord,
  to: Recipient,
  keepTrying: () => boolean,
): Promise<{ outcome: BroadcastOutcome; reason?: string } | undefined> {
  for (let attempt = 1; ; attempt++) {
    // Counted against the limits until the platform answered (see Pacer.run).
    const result = await deps.pacer
      .run(to.surface, `${to.surface}:${to.user}`, async () => {
        // An outage is waited out before the send, not after: a send it cuts is reported, never repeated.
        if (!(await untilStoreAnswers(deps.clock, keepTrying, () => deps.store.ping()))) return undefined;
        return deps.broker.deliverBroadcast(to.surface, to.user, record.id, record.message, deps.disabledNote);
      })
      .catch((e: unknown) => {
        // Not sent again: the send itself may have happened before the store failed.
        if (isBridgeError(e, ErrorCode.StoreUnavailable))
          return { outcome: 'failed' as const, reason: 'the store was unreachable; not sent again to avoid a duplicate', retryable: false };
        throw e;
      });
    if (!result) return undefined;
    if (result.outcome !== 'failed' || !result.retryable || attempt >= RETRIES) {
      return { outcome: result.outcome, ...(result.reason ? { reason: result.reason } : {}) };
    }
    // The surface's own client already honoured Retry-After; back off a little more before trying again.
    await new Promise<void>((resolve) => deps.clock.setTimer(1000 * 2 ** (attempt - 1), resolve));
  }
}
