/**
 * A clock a test can "kill" as SIGKILL would a process: pending timers never fire and new ones
 * are never armed, while time goes on for everybody else.
 */
import type { Clock, TimerHandle } from '../../bots/core/ports';

export class KillableClock implements Clock {
  private readonly pending = new Set<TimerHandle>();
  private dead = false;

  constructor(private readonly inner: Clock) {}

  now(): number {
    return this.inner.now();
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    if (this.dead) return { cancel: () => undefined };
    const handle: TimerHandle = this.inner.setTimer(ms, () => {
      this.pending.delete(handle);
      if (!this.dead) fn();
    });
    this.pending.add(handle);
    return {
      cancel: () => {
        this.pending.delete(handle);
        handle.cancel();
      },
    };
  }

  kill(): void {
    this.dead = true;
    for (const handle of this.pending) handle.cancel();
    this.pending.clear();
  }
}
