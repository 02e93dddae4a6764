import { Pacer } from '../../bots/core/pacer';
import { ManualClock } from '../helpers/console-clock';

/** Let promise continuations run between clock steps. */
const settle = () => new Promise((r) => setImmediate(r));

async function runFor(clock: ManualClock, ms: number, step = 10) {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await settle();
  }
}

describe('Pacer', () => {
  it('never lets more than the rate through in any one-second window', async () => {
    const clock = new ManualClock(0);
    const pacer = new Pacer({ clock, minIntervalPerUserMs: 0, ratePerSecond: () => 10 });
    const times: number[] = [];
    const all = Promise.all(Array.from({ length: 35 }, (_, i) => pacer.take('teams', `u${i}`).then(() => times.push(clock.now()))));
    await runFor(clock, 4000);
    await all;
    expect(times).toHaveLength(35);
    for (const t of times) {
      expect(times.filter((x) => x >= t && x < t + 1000).length).toBeLessThanOrEqual(10);
    }
    // ...and does not dawdle: 35 sends at 10/s take about 3.4 s.
    expect(Math.max(...times)).toBeLessThanOrEqual(3500);
  });

  it('keeps buckets apart: a slow surface does not hold up a fast one', async () => {
    const clock = new ManualClock(0);
    const pacer = new Pacer({ clock, minIntervalPerUserMs: 0, ratePerSecond: (b) => (b === 'slack' ? 1 : 100) });
    const done: string[] = [];
    const slack = Promise.all([1, 2, 3].map((i) => pacer.take('slack', `s${i}`).then(() => done.push(`slack${i}`))));
    const teams = Promise.all([1, 2, 3].map((i) => pacer.take('teams', `t${i}`).then(() => done.push(`teams${i}`))));
    await runFor(clock, 100);
    await teams;
    expect(done.filter((d) => d.startsWith('teams'))).toHaveLength(3);
    expect(done.filter((d) => d.startsWith('slack'))).toHaveLength(1);
    await runFor(clock, 2100);
    await slack;
  });

  it('spaces two sends to the same user', async () => {
    const clock = new ManualClock(0);
    const pacer = new Pacer({ clock, minIntervalPerUserMs: 1100, ratePerSecond: () => 1000 });
    const times: number[] = [];
    const all = Promise.all([0, 1, 2].map(() => pacer.take('slack', 'U1').then(() => times.push(clock.now()))));
    await runFor(clock, 3000);
    await all;
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(1100);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(1100);
  });
});
