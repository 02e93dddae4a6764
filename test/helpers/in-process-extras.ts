/**
 * Leases, fenced writes, compare-and-set and pub/sub for the test tree's small stores: the
 * memory engine's own code (`adapters/store/coordination.ts`, `in-process.ts`, `bus.ts`) over
 * the store's Map and its injected clock. A store extends this and says how to read and write
 * its entries.
 */
import { InProcessBus } from '../../adapters/store/bus';
import { StoreCoordination, type CoordinationMethod } from '../../adapters/store/coordination';
import { InProcessCoordination, type InProcessCells } from '../../adapters/store/in-process';
import type { Store } from '../../bots/core/ports';

export abstract class InProcessExtras implements Pick<Store, CoordinationMethod> {
  private engine?: StoreCoordination;
  /** Pub/sub handlers that threw or rejected, for assertions. */
  readonly handlerErrors: { channel: string; err: unknown }[] = [];

  /** The store's entries as the coordination reads and writes them. */
  protected abstract cells(): InProcessCells;
  /** Awaited before each operation (records it, applies latency, refuses when closed). */
  protected abstract before(op: string, key: string): Promise<void>;

  private coordination(): StoreCoordination {
    this.engine ??= new StoreCoordination(
      new InProcessCoordination(this.cells()),
      new InProcessBus((channel, err) => void this.handlerErrors.push({ channel, err })),
      async (op, key, fn) => {
        await this.before(
          op === 'acquireLease' || op === 'renewLease' || op === 'releaseLease' || op === 'leaseHolder' ? 'lease' : op,
          key,
        );
        return fn();
      },
    );
    return this.engine;
  }

  acquireLease: Store['acquireLease'] = (...a) => this.coordination().acquireLease(...a);
  renewLease: Store['renewLease'] = (...a) => this.coordination().renewLease(...a);
  releaseLease: Store['releaseLease'] = (...a) => this.coordination().releaseLease(...a);
  leaseHolder: Store['leaseHolder'] = (...a) => this.coordination().leaseHolder(...a);
  setIfLeaseHeld: Store['setIfLeaseHeld'] = (...a) => this.coordination().setIfLeaseHeld(...a);
  claimIfLeaseHeld: Store['claimIfLeaseHeld'] = (...a) => this.coordination().claimIfLeaseHeld(...a);
  getVersioned: Store['getVersioned'] = (...a) => this.coordination().getVersioned(...a);
  setVersioned: Store['setVersioned'] = (...a) => this.coordination().setVersioned(...a);
  publish: Store['publish'] = (...a) => this.coordination().publish(...a);
  subscribe: Store['subscribe'] = (...a) => this.coordination().subscribe(...a);
  appendIfNew: Store['appendIfNew'] = (...a) => this.coordination().appendIfNew(...a);
  settleHead: Store['settleHead'] = (...a) => this.coordination().settleHead(...a);
}
