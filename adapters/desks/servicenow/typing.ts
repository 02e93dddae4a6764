/**
 * The user's typing, as the Virtual Agent API wants it: `TYPING` when they start, `VIEWING`
 * when they stop. Surfaces only say "typing" (Teams repeats it every few seconds while the user
 * types), so a burst sends one `TYPING` per half idle window, and `VIEWING` follows once the
 * user has been quiet for the whole window. Timers are per process; a lost `VIEWING` after a
 * restart only leaves the agent's indicator on until the next message.
 */
import type { Clock, TimerHandle } from '../../../bots/core/ports';

export type TypingAction = 'TYPING' | 'VIEWING';

export class TypingSignals {
  private readonly pending = new Map<string, { sentAt: number; timer: TimerHandle }>();

  constructor(
    private readonly clock: Clock,
    private readonly idleMs: number,
  ) {}

  /** The user typed in `sessionId`; `signal` sends one action to ServiceNow (and never throws). */
  async typed(sessionId: string, signal: (action: TypingAction) => Promise<void>): Promise<void> {
    const now = this.clock.now();
    const previous = this.pending.get(sessionId);
    previous?.timer.cancel();
    const resend = !previous || now - previous.sentAt >= this.idleMs / 2;
    const timer = this.clock.setTimer(this.idleMs, () => {
      this.pending.delete(sessionId);
      void signal('VIEWING');
    });
    this.pending.set(sessionId, { sentAt: resend ? now : (previous?.sentAt ?? now), timer });
    if (resend) await signal('TYPING');
  }

  /** The chat ended: no `VIEWING` for it. */
  forget(sessionId: string): void {
    this.pending.get(sessionId)?.timer.cancel();
    this.pending.delete(sessionId);
  }

  forgetAll(): void {
    for (const sessionId of [...this.pending.keys()]) this.forget(sessionId);
  }
}
