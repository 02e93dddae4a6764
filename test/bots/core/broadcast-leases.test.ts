/**
 * The broadcast lease in one process's terms, on a manual clock: renewed while a send takes
 * longer than the lease's TTL (so a process starting meanwhile leaves the broadcast alone), and,
 * once lost, the old holder stops and its late progress cannot overwrite the new holder's.
 */
import { BroadcastService, broadcastSettingsSchema, type Recipient } from '../../../bots/core/broadcasts';
import { broadcastKeys } from '../../../bots/core/broadcast-message';
import { ManualClock } from '../../helpers/console-clock';
import { RecordingStore } from '../../helpers/recording-store';
import { RecordingLogger } from '../../helpers/core-fakes';

const settle = () => new Promise((r) => setImmediate(r));
const recipients: Recipient[] = [0, 1, 2].map((i) => ({ surface: 'teams', user: `user-${i}` }));
const message = { title: 'Maintenance', text: 'Tonight', actions: [] };

function setup() {
  const clock = new ManualClock(0);
  const store = new RecordingStore(() => clock.now());
  const sends: { by: string; user: string; done: () => void }[] = [];
  const service = (by: string) =>
    new BroadcastService({
      store,
      clock,
      logger: new RecordingLogger(),
      owner: by,
      settings: broadcastSettingsSchema.parse({ concurrency: 1, minIntervalPerUserMs: 0 }),
      knownUsers: async () => recipients,
      newId: () => 'b1',
      broker: {
        // Each send waits until the test lets it finish.
        deliverBroadcast: (_surface, user) =>
          new Promise((resolve) => sends.push({ by, user, done: () => resolve({ outcome: 'delivered' }) })),
      },
    });
  const run = async (ms: number, step = 1000) => {
    for (let t = 0; t < ms; t += step) {
      clock.advance(step);
      for (let i = 0; i < 5; i++) await settle();
    }
  };
  return { clock, store, sends, service, run };
}

describe('BroadcastService lease', () => {
  it('is renewed while a send outlasts its 30 s, so a process resuming then does not deliver', async () => {
    const { sends, service, run } = setup();
    const a = service('a');
    await a.create('all', message);
    await run(1000);
    expect(sends.map((s) => s.user)).toEqual(['user-0']);

    await run(100_000); // the first send hangs for 100 s
    const b = service('b');
    await b.resume();
    await run(5000);
    expect(sends.map((s) => s.by)).toEqual(['a']);

    for (let i = 0; i < 3; i++) {
      sends[i].done();
      await run(2000);
    }
    expect(sends.map((s) => `${s.by}:${s.user}`)).toEqual(['a:user-0', 'a:user-1', 'a:user-2']);
    const report = await a.status('b1');
    expect(report).toMatchObject({ status: 'done', counts: { delivered: 3, failed: 0 } });
    await Promise.all([a.stop(), b.stop()]);
  });

  it('once lost, the old holder sends nothing more and its late progress is refused', async () => {
    const { store, sends, service, run } = setup();
    const a = service('a');
    await a.create('all', message);
    await run(1000);
    // The lease is lost (as when this process was cut off long enough): someone else takes it.
    await store.delete(broadcastKeys.lease('b1'));
    const b = service('b');
    await b.resume();
    await run(1000);
    expect(sends.map((s) => `${s.by}:${s.user}`)).toEqual(['a:user-0', 'b:user-1']);
    sends[1].done();
    await run(2000);
    sends[2].done();
    await run(2000);
    // `a` finishes its send late: not recorded, and `a` goes no further.
    sends[0].done();
    await run(5000);
    expect(sends.map((s) => `${s.by}:${s.user}`)).toEqual(['a:user-0', 'b:user-1', 'b:user-2']);
    const report = await b.status('b1');
    expect(report!.status).toBe('done');
    expect(report!.recipients.map((r) => r.outcome)).toEqual(['failed', 'delivered', 'delivered']);
    expect(report!.recipients[0].reason).toMatch(/interrupted/);
    await Promise.all([a.stop(), b.stop()]);
  });
});
