import { Pacer } from '../../../bots/core/pacer';
import { ManualClock } from '../../helpers/console-clock';

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

  describe('run: limits held against completions, where the platform counts', () => {
    it('a slow send keeps its place in the window until it completes', async () => {
      const clock = new ManualClock(0);
      const pacer = new Pacer({ clock, minIntervalPerUserMs: 0, ratePerSecond: () => 2 });
      const started: number[] = [];
      const completed: number[] = [];
      // Each send takes 300 ms (the platform may receive it any time in between).
      const send = () => {
        started.push(clock.now());
        return new Promise<void>((r) =>
          clock.setTimer(300, () => {
            completed.push(clock.now());
            r();
          }),
        );
      };
      const all = Promise.all(Array.from({ length: 5 }, (_, i) => pacer.run('teams', `u${i}`, send)));
      await runFor(clock, 4000);
      await all;
      expect(started).toHaveLength(5);
      // The third send waits until the first one completed a full second ago, not merely started.
      expect(started[2]).toBeGreaterThanOrEqual(completed[0] + 1000);
      expect(started[3]).toBeGreaterThanOrEqual(completed[1] + 1000);
      expect(started[4]).toBeGreaterThanOrEqual(completed[2] + 1000);
    });

    it('spaces two sends to one user from the completion of the first', async () => {
      const clock = new ManualClock(0);
      const pacer = new Pacer({ clock, minIntervalPerUserMs: 1100, ratePerSecond: () => 1000 });
      const started: number[] = [];
      const completed: number[] = [];
      const send = () => {
        started.push(clock.now());
        return new Promise<void>((r) =>
          clock.setTimer(200, () => {
            completed.push(clock.now());
            r();
          }),
        );
      };
      const all = Promise.all([0, 1, 2].map(() => pacer.run('slack', 'U1', send)));
      await runFor(clock, 5000);
      await all;
      expect(started[1] - completed[0]).toBeGreaterThanOrEqual(1100);
      expect(started[2] - completed[1]).toBeGreaterThanOrEqual(1100);
    });

    it("passes the send's outcome through, and a failed send frees its user and slot", async () => {
      const clock = new ManualClock(0);
      const pacer = new Pacer({ clock, minIntervalPerUserMs: 0, ratePerSecond: () => 100 });
      await expect(pacer.run('teams', 'u1', async () => 42)).resolves.toBe(42);
      const failed = pacer.run('teams', 'u1', async () => {
        throw new Error('HTTP 502');
      });
      const ran = failed.catch(() => undefined);
      await runFor(clock, 50);
      await expect(failed).rejects.toThrow('HTTP 502');
      await ran;
      const next = pacer.run('teams', 'u1', async () => 'ok');
      await runFor(clock, 50);
      await expect(next).resolves.toBe('ok');
    });
  });
});
