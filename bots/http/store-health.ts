/**
 * Whether the store can take work right now, known without a round trip per request, for the
 * doors that must refuse (503, so the platform retries) rather than acknowledge an event the
 * store cannot record: Bolt acknowledges a Slack event before any listener runs, and Socket Mode
 * envelopes are acknowledged the same way.
 *
 * Two signals, both cheap:
 * - `reachable()`: the store's own view of its connection (Redis: the client is connected), which
 *   turns false the moment the connection drops;
 * - a `ping` every `intervalMs`, which catches a Redis that is connected but stopped answering
 *   (its commands would otherwise only fail at their deadline).
 * Up again after the connection is back and a ping has answered; the Redis client reconnects by
 * itself, so no one has to restart anything.
 */
import type { Logger } from '../core/ports';

export interface StoreProbe {
  ping(): Promise<boolean>;
  /** Synchronous and free; a store without it counts as reachable. */
  reachable?(): boolean;
}

export interface StoreHealthOptions {
  /** Time between pings. Default 1 s: a down store is noticed within about that plus the ping's deadline. */
  intervalMs?: number;
  logger?: Logger;
}

export class StoreHealth {
  private pingOk = true;
  private timer?: NodeJS.Timeout;
  /** The ping in flight, shared by every caller meanwhile. */
  private pinging?: Promise<void>;
  private wasUp = true;
  private readonly intervalMs: number;
  private readonly recovered: (() => void)[] = [];

  constructor(
    private readonly probe: StoreProbe,
    private readonly options: StoreHealthOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
  }

  /** True when the store is believed able to serve calls. */
  up(): boolean {
    const up = this.pingOk && (this.probe.reachable?.() ?? true);
    if (up !== this.wasUp) this.changed(up);
    return up;
  }

  /** Call `listener` each time the store is reachable again after being down. */
  onRecovered(listener: () => void): void {
    this.recovered.push(listener);
  }

  /** Start pinging; the first answer comes within one interval. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    // Health checks must never keep the process alive on their own.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * One ping now (also what the interval runs); resolves with the new state. `/readyz` answers
   * with this, so once readiness says 200 the doors are open too.
   */
  async check(): Promise<boolean> {
    this.pinging ??= this.probe
      .ping()
      .catch(() => false)
      .then((ok) => {
        this.pingOk = ok;
        this.pinging = undefined;
      });
    await this.pinging;
    return this.up();
  }

  private changed(up: boolean): void {
    this.wasUp = up;
    if (up) {
      this.options.logger?.info({ store: 'health' }, 'store reachable again: doors accept events');
      for (const listener of this.recovered) listener();
    } else this.options.logger?.warn({ store: 'health' }, 'store unreachable: doors answer 503 until it is back');
  }
}
