import { Deadlines } from '../../bots/core/deadlines';
import { ManualClock } from '../helpers/console-clock';

describe('Deadlines', () => {
  it('fires each deadline once, at its time, in order, on one clock timer', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    const d = new Deadlines(clock, (id, key) => fired.push(`${id}@${clock.now()}:${key}`));
    d.set('c', 'k3', 300);
    d.set('a', 'k1', 100);
    d.set('b', 'k2', 200);
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual(['a@100:k1']);
    clock.advance(150);
    expect(fired).toEqual(['a@100:k1', 'b@200:k2']);
    clock.advance(100);
    expect(fired).toEqual(['a@100:k1', 'b@200:k2', 'c@300:k3']);
    expect(d.size).toBe(0);
  });

  it('cancels, moves and clears deadlines', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    const d = new Deadlines(clock, (id) => fired.push(id));
    d.set('a', 'k', 100);
    d.set('b', 'k', 200);
    d.cancel('a');
    d.set('b', 'k', 50); // moved earlier
    d.set('c', 'k', 400);
    clock.advance(60);
    expect(fired).toEqual(['b']);
    clock.advance(200);
    expect(fired).toEqual(['b']);
    d.clear();
    clock.advance(1000);
    expect(fired).toEqual(['b']);
  });

  it('stays small when most deadlines are cancelled before they fire', () => {
    const clock = new ManualClock(0);
    const d = new Deadlines(clock, () => undefined);
    for (let i = 0; i < 10_000; i++) {
      d.set(`s${i}`, 'k', 60_000 + i);
      d.cancel(`s${i}`);
    }
    d.set('last', 'k', 70_000);
    expect(d.size).toBe(1);
    expect((d as unknown as { heap: unknown[] }).heap.length).toBeLessThan(3000);
  });
});
