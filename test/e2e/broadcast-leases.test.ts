/**
 * Broadcasts resumed by several processes on one Redis: the broadcast's Store lease lets exactly
 * one of them deliver it, so every recipient gets it once and the report shows no "interrupted"
 * failures that racing processes would leave. Each service has a Store of its own (one Redis
 * connection each), as separate processes have.
 */
import { randomUUID } from 'node:crypto';
import { createStore } from '../../adapters/store';
import { storeSettingsSchema } from '../../adapters/store/config';
import { BroadcastService, broadcastSettingsSchema, type Recipient } from '../../bots/core/broadcasts';
import { systemClock } from '../../bots/core/clock';
import type { Store } from '../../bots/core/ports';
import { describeWithRedis, redisUrl } from '../contract/store.redis-env';
import { RecordingLogger } from '../helpers/core-fakes';
import { eventually } from '../helpers/eventually';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const recipients: Recipient[] = Array.from({ length: 40 }, (_, i) => ({ surface: 'teams', user: `user-${i}` }));
const everyone = recipients.map((r) => r.user).sort();
const message = { title: 'Maintenance', text: 'Tonight at 22:00', actions: [] };

describeWithRedis('broadcasts: processes racing to resume one broadcast on Redis', () => {
  const namespace = `bcast-lease-${randomUUID()}`;
  const stores: Store[] = [];
  /** Every send, by which service, in order. */
  let sends: { by: string; user: string }[];

  async function openStore(): Promise<Store> {
    const store = await createStore(storeSettingsSchema.parse({ redisUrl, namespace }));
    stores.push(store);
    return store;
  }

  function service(by: string, store: Store, options: { sendMs: number; leaseMs?: number }): BroadcastService {
    return new BroadcastService({
      store,
      clock: systemClock,
      logger: new RecordingLogger(),
      settings: broadcastSettingsSchema.parse({ ratePerSecond: { teams: 1000 }, minIntervalPerUserMs: 0, concurrency: 2 }),
      knownUsers: async () => recipients,
      owner: by,
      leaseMs: options.leaseMs,
      broker: {
        deliverBroadcast: async (_surface, user) => {
          sends.push({ by, user });
          await sleep(options.sendMs);
          return { outcome: 'delivered' };
        },
      },
    });
  }

  beforeEach(() => {
    sends = [];
  });

  afterEach(async () => {
    const cleanup = await openStore();
    for (const key of await cleanup.keys('')) await cleanup.delete(key);
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it('after a clean stop, two processes resume it at once and only one delivers: everyone gets it once', async () => {
    const first = service('first', await openStore(), { sendMs: 20 });
    const { id } = await first.create('all', message);
    await eventually(() => expect(sends.length).toBeGreaterThanOrEqual(5));
    await first.stop(); // progress saved, lease released
    const before = sends.length;
    expect(before).toBeLessThan(recipients.length);

    const a = service('a', await openStore(), { sendMs: 2 });
    const b = service('b', await openStore(), { sendMs: 2 });
    await Promise.all([a.resume(), b.resume()]);
    const done = await eventually(async () => {
      const report = await a.status(id);
      expect(report?.status).toBe('done');
      return report!;
    }, 20_000);
    await Promise.all([a.stop(), b.stop()]);

    expect(sends.map((s) => s.user).sort()).toEqual(everyone);
    expect(new Set(sends.slice(before).map((s) => s.by)).size).toBe(1);
    expect(done.counts).toMatchObject({ delivered: recipients.length, failed: 0, pending: 0 });
  });

  it('after a crash, the lease runs out and one of two racing processes takes over', async () => {
    const crashing = await openStore();
    const first = service('first', crashing, { sendMs: 20, leaseMs: 400 });
    const { id } = await first.create('all', message);
    await eventually(() => expect(sends.length).toBeGreaterThanOrEqual(5));
    // The process dies: its connection is gone, its lease is neither renewed nor released.
    await crashing.close();
    await sleep(50); // its sends in flight settle (and their claims stay)
    const before = sends.length;

    const a = service('a', await openStore(), { sendMs: 2, leaseMs: 400 });
    const b = service('b', await openStore(), { sendMs: 2, leaseMs: 400 });
    const done = await eventually(async () => {
      await Promise.all([a.resume(), b.resume()]); // as processes starting while the lease still runs
      const report = await a.status(id);
      expect(report?.status).toBe('done');
      return report!;
    }, 20_000);
    await Promise.all([a.stop(), b.stop()]);

    const users = sends.map((s) => s.user);
    expect(new Set(users).size).toBe(users.length); // nobody twice
    expect(new Set(sends.slice(before).map((s) => s.by)).size).toBe(1);
    expect(done.counts.pending).toBe(0);
    // Sent by the crashed process but not recorded: reported, not sent again.
    expect(done.counts.delivered + done.counts.failed).toBe(recipients.length);
    for (const r of done.recipients.filter((x) => x.outcome === 'failed')) expect(r.reason).toMatch(/interrupted/);
    // What the crashed process claimed but never sent (its claim reached Redis, the send did not
    // start before the connection went) is also reported interrupted: at most one per worker.
    const inFlightAtCrash = 2; // the settings' concurrency
    expect(done.counts.delivered).toBeGreaterThanOrEqual(recipients.length - before - inFlightAtCrash);
  });
});
