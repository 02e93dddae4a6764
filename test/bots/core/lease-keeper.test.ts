/**
 * `LeaseKeeper`'s `onLost`: work under a lease hears at once that it is lost, whether a renewal
 * was refused or the store stayed away past the lease's TTL (no renewal could have held it).
 */
import { LeaseKeeper } from '../../../bots/core/lease-keeper';
import { ManualClock } from '../../helpers/console-clock';
import { RecordingStore } from '../../helpers/recording-store';
import { RecordingLogger } from '../../helpers/core-fakes';

const TTL = 3000;

async function run(clock: ManualClock, ms: number, step = 250) {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  }
}

function setup() {
  const clock = new ManualClock(0);
  const store = new RecordingStore(() => clock.now());
  const lost: string[] = [];
  const acquire = () =>
    LeaseKeeper.acquire({ store, clock, logger: new RecordingLogger() }, 'lease-1', 'me', TTL, (reason) => lost.push(reason));
  return { clock, store, lost, acquire };
}

describe('LeaseKeeper onLost', () => {
  it('is not called while renewals hold the lease', async () => {
    const { clock, lost, acquire } = setup();
    const keeper = (await acquire())!;
    await run(clock, 5 * TTL);
    expect(lost).toEqual([]);
    expect(keeper.lost).toBe(false);
    await keeper.release();
  });

  it('is called once when a renewal is refused', async () => {
    const { clock, store, lost, acquire } = setup();
    const keeper = (await acquire())!;
    await store.delete('lease-1');
    await store.acquireLease('lease-1', 'other', 60_000);
    await run(clock, TTL);
    expect(lost).toEqual(['taken by another owner or expired']);
    expect(keeper.lost).toBe(true);
  });

  it('is called when the store stays away until the TTL has run out', async () => {
    const { clock, store, lost, acquire } = setup();
    await acquire();
    store.closed = true; // every call now fails
    await run(clock, TTL / 3 + 250);
    expect(lost).toEqual([]); // one failed renewal: the lease may still be ours
    await run(clock, TTL);
    expect(lost).toEqual(['not renewed in time']);
  });
});
