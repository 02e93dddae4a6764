/**
 * Paces outbound sends under the platforms' limits: a token bucket per surface (Teams allows 50
 * requests/s per app per tenant; Slack about one message per second per channel plus a workspace
 * cap) and a minimum spacing per user. Waiting uses the injected clock, so tests run it fast.
 *
 * The limits are the platform's, so they must hold where the platform counts: when a request
 * *arrives*, which is somewhere between the moment a send starts and the moment it completes.
 * `run` (what the broadcast fan-out uses) therefore keeps them against completions, whatever the
 * network and the bridge do in between:
 * - per bucket, a send may start only while fewer than `rate` sends are in flight or completed
 *   less than a second ago; then no one-second window at the platform can hold more than `rate`
 *   arrivals (each such send was counted at the moment the last of them started);
 * - per user, a send starts only `minIntervalPerUserMs` after the previous one *completed*, so
 *   the two arrive at least that far apart.
 * The token bucket on top spaces starts evenly (no burst of a whole second's worth at once).
 * Measured at the benchmark's fake platforms, pacing by start times alone let a user's two
 * messages arrive 1,096 ms apart against a 1,100 ms minimum on a busy machine (bench/README.md).
 */
import type { Clock } from './ports';

export interface PacerOptions {
  /** Sends per second allowed for a bucket (e.g. one per surface). */
  ratePerSecond: (bucket: string) => number;
  /** Minimum time between two sends to the same user. */
  minIntervalPerUserMs: number;
  clock: Clock;
}

/** One send counted against its bucket's one-second window; `done` is Infinity while in flight. */
interface Slot {
  done: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
  /** Callers wait their turn here, so a bucket is served in order. */
  tail: Promise<void>;
  /** Sends in flight or completed within the last second, oldest first. */
  recent: Slot[];
}

const WINDOW_MS = 1000;
/** How often a bucket whose window is full of sends in flight looks again. */
const IN_FLIGHT_POLL_MS = 5;
const MAX_REMEMBERED_USERS = 100_000;

export class Pacer {
  private readonly buckets = new Map<string, Bucket>();
  /** When the last send to a user was allowed (`take`) or completed (`run`). */
  private readonly lastPerUser = new Map<string, number>();
  /** Per user, the send in progress through `run`; the next one waits for it. */
  private readonly userChains = new Map<string, Promise<void>>();

  constructor(private readonly options: PacerOptions) {}

  /**
   * Run one send to `user` through `bucket` when the limits allow, and count it until it
   * completes (see the file comment). Resolves or rejects with the send's own outcome.
   */
  async run<T>(bucket: string, user: string, send: () => Promise<T>): Promise<T> {
    const { clock, minIntervalPerUserMs } = this.options;
    const previous = this.userChains.get(user) ?? Promise.resolve();
    let finish!: () => void;
    const chain = new Promise<void>((resolve) => (finish = resolve));
    this.userChains.set(user, chain);
    try {
      await previous;
      const last = this.lastPerUser.get(user);
      const now = clock.now();
      if (last !== undefined && last + minIntervalPerUserMs > now) await this.sleep(last + minIntervalPerUserMs - now);
      const slot = await this.grant(bucket);
      try {
        return await send();
      } finally {
        const done = clock.now();
        slot.done = done;
        this.remember(user, done);
      }
    } finally {
      finish();
      if (this.userChains.get(user) === chain) this.userChains.delete(user);
    }
  }

  /**
   * Resolves when one send to `user` through `bucket` is allowed. The send counts as completed
   * at once: callers that can wrap the send should use `run`, which counts it until it is done.
   */
  async take(bucket: string, user: string): Promise<void> {
    const slot = await this.grant(bucket);
    slot.done = this.options.clock.now();
    await this.spaceUser(user);
  }

  private grant(name: string): Promise<Slot> {
    const b = this.bucket(name);
    const turn = b.tail.then(() => this.waitForSlot(name, b));
    b.tail = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  private bucket(name: string): Bucket {
    let b = this.buckets.get(name);
    if (!b) {
      // Start with one token, not a full second's worth: the first second must not burst.
      b = { tokens: 1, updatedAt: this.options.clock.now(), tail: Promise.resolve(), recent: [] };
      this.buckets.set(name, b);
    }
    return b;
  }

  private async waitForSlot(name: string, b: Bucket): Promise<Slot> {
    const rate = this.options.ratePerSecond(name);
    const limit = Math.max(1, Math.floor(rate));
    for (;;) {
      const now = this.options.clock.now();
      b.tokens = Math.min(1, b.tokens + ((now - b.updatedAt) * rate) / 1000);
      b.updatedAt = now;
      b.recent = b.recent.filter((s) => s.done + WINDOW_MS > now);
      const tokenWait = b.tokens >= 1 ? 0 : Math.ceil(((1 - b.tokens) * 1000) / rate);
      let windowWait = 0;
      if (b.recent.length >= limit) {
        // The oldest counted sends must leave the window first (in flight: look again soon).
        const oldest = b.recent.slice(0, b.recent.length - limit + 1);
        const until = Math.max(...oldest.map((s) => s.done + WINDOW_MS));
        windowWait = Number.isFinite(until) ? Math.max(1, Math.ceil(until - now)) : IN_FLIGHT_POLL_MS;
      }
      if (tokenWait === 0 && windowWait === 0) {
        b.tokens -= 1;
        const slot: Slot = { done: Infinity };
        b.recent.push(slot);
        return slot;
      }
      await this.sleep(Math.max(tokenWait, windowWait));
    }
  }

  private async spaceUser(user: string): Promise<void> {
    const { clock, minIntervalPerUserMs } = this.options;
    const last = this.lastPerUser.get(user);
    const now = clock.now();
    const at = last === undefined ? now : Math.max(now, last + minIntervalPerUserMs);
    this.remember(user, at);
    if (at > now) await this.sleep(at - now);
  }

  private remember(user: string, at: number): void {
    this.lastPerUser.set(user, at);
    if (this.lastPerUser.size > MAX_REMEMBERED_USERS) this.forgetOld(this.options.clock.now());
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
