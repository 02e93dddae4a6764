/**
 * Leases, fenced writes, compare-and-set and pub/sub for the test tree's small stores, with the
 * memory engine's own rules (`adapters/store/in-process.ts`, `bus.ts`) over the store's Map and
 * its injected clock. A store extends this and says how to read and write its entries.
 */
import { InProcessBus } from '../../adapters/store/bus';
import { InProcessCoordination, type InProcessCells } from '../../adapters/store/in-process';
import type { Lease, LeaseHolder, Store, Versioned } from '../../bots/core/ports';

type Extras =
  | 'acquireLease'
  | 'renewLease'
  | 'releaseLease'
  | 'leaseHolder'
  | 'setIfLeaseHeld'
  | 'claimIfLeaseHeld'
  | 'getVersioned'
  | 'setVersioned'
  | 'publish'
  | 'subscribe';

export abstract class InProcessExtras implements Pick<Store, Extras> {
  private coordination?: InProcessCoordination;
  private readonly bus = new InProcessBus((channel, err) => {
    this.handlerErrors.push({ channel, err });
  });
  /** Pub/sub handlers that threw or rejected, for assertions. */
  readonly handlerErrors: { channel: string; err: unknown }[] = [];

  /** The store's entries as the coordination reads and writes them. */
  protected abstract cells(): InProcessCells;
  /** Awaited before each operation (records it, applies latency, refuses when closed). */
  protected abstract before(op: string, key: string): Promise<void>;

  private leases(): InProcessCoordination {
    this.coordination ??= new InProcessCoordination(this.cells());
    return this.coordination;
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<Lease | undefined> {
    await this.before('lease', name);
    return this.leases().acquireLease(name, owner, ttlMs);
  }

  async renewLease(name: string, owner: string, token: number, ttlMs: number): Promise<boolean> {
    await this.before('lease', name);
    return this.leases().renewLease(name, owner, token, ttlMs);
  }

  async releaseLease(name: string, owner: string, token: number): Promise<boolean> {
    await this.before('lease', name);
    return this.leases().releaseLease(name, owner, token);
  }

  async leaseHolder(name: string): Promise<LeaseHolder | undefined> {
    await this.before('lease', name);
    return this.leases().leaseHolder(name);
  }

  async setIfLeaseHeld<T>(lease: Lease, key: string, value: T, ttlMs: number): Promise<boolean> {
    await this.before('set', key);
    return this.leases().setIfLeaseHeld(lease, key, JSON.stringify(value), ttlMs);
  }

  async claimIfLeaseHeld(lease: Lease, key: string, ttlMs: number): Promise<'claimed' | 'taken' | 'lost'> {
    await this.before('claim', key);
    return this.leases().claimIfLeaseHeld(lease, key, ttlMs);
  }

  async getVersioned<T>(key: string): Promise<Versioned<T> | undefined> {
    await this.before('get', key);
    const found = this.cells().read(key);
    return found && { value: JSON.parse(found.json) as T, version: found.version };
  }

  async setVersioned<T>(key: string, value: T, expectedVersion: number, ttlMs: number): Promise<boolean> {
    await this.before('set', key);
    return this.leases().setVersioned(key, JSON.stringify(value), expectedVersion, ttlMs);
  }

  async publish<T>(channel: string, message: T): Promise<void> {
    await this.before('publish', channel);
    this.bus.publish(channel, message);
  }

  async subscribe<T>(channel: string, handler: (message: T) => void | Promise<void>): Promise<() => Promise<void>> {
    await this.before('subscribe', channel);
    const end = this.bus.subscribe(channel, handler as (message: unknown) => void | Promise<void>);
    return async () => end();
  }
}
