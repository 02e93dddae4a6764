/**
 * Holding a Store lease while work runs: acquire it, renew it on a timer (a third of its TTL, so
 * two renewals may fail before it runs out), notice when it is lost, release it when done.
 * Work done under the lease checks `lost` and fences its writes with `lease`
 * (`Store.setIfLeaseHeld`, `Store.claimIfLeaseHeld`), so a holder that lost it (paused, cut off
 * from the store) cannot overwrite what the next holder does.
 */
import { asBridgeError } from './errors';
import type { Clock, Lease, Logger, Store, TimerHandle } from './ports';

export interface LeaseKeeperDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
}

export class LeaseKeeper {
  private timer?: TimerHandle;
  private isLost = false;
  private released = false;
  /** The store's answer to the last renewal; the lease is surely gone a TTL after it. */
  private renewedAt: number;

  /**
   * Take the lease `name`, or undefined while someone holds it. `onLost` is called once, as soon
   * as the lease is known lost (a renewal refused, a fenced write refused, or no renewal answered
   * within its TTL), for work that must stop at once rather than at its next check of `lost`.
   */
  static async acquire(
    deps: LeaseKeeperDeps,
    name: string,
    owner: string,
    ttlMs: number,
    onLost?: (reason: string) => void,
  ): Promise<LeaseKeeper | undefined> {
    const lease = await deps.store.acquireLease(name, owner, ttlMs);
    return lease && new LeaseKeeper(deps, lease, ttlMs, onLost);
  }

  /** Keep a lease already taken (e.g. with a call pipelined beside another). */
  static hold(deps: LeaseKeeperDeps, lease: Lease, ttlMs: number): LeaseKeeper {
    return new LeaseKeeper(deps, lease, ttlMs);
  }

  private constructor(
    private readonly deps: LeaseKeeperDeps,
    readonly lease: Lease,
    private readonly ttlMs: number,
    private readonly onLost?: (reason: string) => void,
  ) {
    this.renewedAt = deps.clock.now();
    this.schedule();
  }

  /** True once the lease is known to be lost (or surely expired): stop working under it. */
  get lost(): boolean {
    if (!this.isLost && !this.released && this.deps.clock.now() - this.renewedAt >= this.ttlMs) this.markLost('not renewed in time');
    return this.isLost;
  }

  /** Work under the lease found it lost (a fenced write refused). */
  markLost(reason = 'a fenced write was refused'): void {
    if (this.isLost) return;
    this.isLost = true;
    this.timer?.cancel();
    this.deps.logger.warn({ lease: this.lease.name, token: this.lease.token, reason }, 'lease lost; stopping the work under it');
    this.onLost?.(reason);
  }

  /** Stop renewing and give the lease up, so another process can take it at once. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.timer?.cancel();
    if (this.isLost) return;
    const { name, owner, token } = this.lease;
    // Not releasing is safe (the lease then runs out on its own), so a failure is only logged.
    await this.deps.store
      .releaseLease(name, owner, token)
      .catch((e) => this.deps.logger.warn({ err: asBridgeError(e), lease: name }, 'could not release a lease; it will expire'));
  }

  /** The lease was given up by a store call that released it (`Store.settleHead`): stop renewing. */
  forget(): void {
    this.released = true;
    this.timer?.cancel();
  }

  private schedule(): void {
    this.timer = this.deps.clock.setTimer(Math.max(1, Math.floor(this.ttlMs / 3)), () => void this.renew());
  }

  private async renew(): Promise<void> {
    if (this.isLost || this.released) return;
    const { name, owner, token } = this.lease;
    const asked = this.deps.clock.now();
    try {
      if (await this.deps.store.renewLease(name, owner, token, this.ttlMs)) this.renewedAt = asked;
      else this.markLost('taken by another owner or expired');
    } catch (e) {
      // The store is away: the lease may still be ours until its TTL; try again at the next tick.
      this.deps.logger.warn({ err: asBridgeError(e), lease: name }, 'could not renew a lease; retrying');
    }
    // `lost` (not `isLost`): with the store away past the TTL, the lease is surely gone by now.
    if (!this.lost && !this.released) this.schedule();
  }
}
