import { Deadlines } from '../../../bots/core/deadlines';
import { ManualClock } from '../../helpers/console-clock';

describe('Deadlines', () => {
  it('fires each deadline once, at its time, in order, on one clock timer', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    const d = new Deadlines(clock, (id) => void fired.push(`${id}@${clock.now()}`));
    d.set('c', 300);
    d.set('a', 100);
    d.set('b', 200);
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual(['a@100']);
    clock.advance(150);
    expect(fired).toEqual(['a@100', 'b@200']);
    clock.advance(100);
    expect(fired).toEqual(['a@100', 'b@200', 'c@300']);
    expect(d.size).toBe(0);
  });

  it('cancels, moves and clears deadlines', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    const d = new Deadlines(clock, (id) => void fired.push(id));
    d.set('a', 100);
    d.set('b', 200);
    d.cancel('a');
    d.set('b', 50); // moved earlier
    d.set('c', 400);
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
      d.set(`s${i}`, 60_000 + i);
      d.cancel(`s${i}`);
    }
    d.set('last', 70_000);
    expect(d.size).toBe(1);
    expect((d as unknown as { heap: unknown[] }).heap.length).toBeLessThan(3000);
  });
});
