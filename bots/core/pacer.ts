/**
 * Paces outbound sends under the platforms' limits: a token bucket per surface (Teams allows 50
 * requests/s per app per tenant; Slack about one message per second per channel plus a workspace
 * cap) and a minimum spacing per user. Waiting uses the injected clock, so tests run it fast.
 */
import type { Clock } from './ports';

export interface PacerOptions {
  /** Sends per second allowed for a bucket (e.g. one per surface). */
  ratePerSecond: (bucket: string) => number;
  /** Minimum time between two sends to the same user. */
  minIntervalPerUserMs: number;
  clock: Clock;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
  /** Callers wait their turn here, so a bucket is served in order. */
  tail: Promise<void>;
}

export class Pacer {
  private readonly buckets = new Map<string, Bucket>();
  private readonly lastPerUser = new Map<string, number>();

  constructor(private readonly options: PacerOptions) {}

  /** Resolves when one send to `user` through `bucket` is allowed. */
  async take(bucket: string, user: string): Promise<void> {
    const b = this.bucket(bucket);
    const turn = b.tail.then(() => this.waitForToken(bucket, b));
    b.tail = turn.catch(() => undefined);
    await turn;
    await this.spaceUser(user);
  }

  private bucket(name: string): Bucket {
    let b = this.buckets.get(name);
    if (!b) {
      // Start with one token, not a full second's worth: the first second must not burst.
      b = { tokens: 1, updatedAt: this.options.clock.now(), tail: Promise.resolve() };
      this.buckets.set(name, b);
    }
    return b;
  }

  private async waitForToken(name: string, b: Bucket): Promise<void> {
    const rate = this.options.ratePerSecond(name);
    for (;;) {
      const now = this.options.clock.now();
      b.tokens = Math.min(1, b.tokens + ((now - b.updatedAt) * rate) / 1000);
      b.updatedAt = now;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return;
      }
      await this.sleep(Math.ceil(((1 - b.tokens) * 1000) / rate));
    }
  }

  private async spaceUser(user: string): Promise<void> {
    const { clock, minIntervalPerUserMs } = this.options;
    const last = this.lastPerUser.get(user);
    const now = clock.now();
    const at = last === undefined ? now : Math.max(now, last + minIntervalPerUserMs);
    this.lastPerUser.set(user, at);
    if (this.lastPerUser.size > 100_000) this.forgetOld(now);
    if (at > now) await this.sleep(at - now);
  }

  /** Users not sent to for a while need no spacing; keep the map bounded. */
  private forgetOld(now: number): void {
    for (const [user, at] of this.lastPerUser) {
      if (now - at > this.options.minIntervalPerUserMs) this.lastPerUser.delete(user);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.options.clock.setTimer(ms, resolve));
  }
}
