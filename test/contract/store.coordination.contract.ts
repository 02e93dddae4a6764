/**
 * The `Store` conformance suite, part two: what ownership and live views across processes
 * stand on. Leases with fencing tokens, fenced writes, compare-and-set, pub/sub. Called from
 * `describeStoreConformance` inside its `describe`, with its per-test store and key prefix.
 * Expiry runs on the store's own clock (Redis's on Redis): short TTLs, then waiting until the
 * lease is free, with no assertion on how long that took.
 */
import { isBridgeError } from '../../bots/core/errors';
import type { Store } from '../../bots/core/ports';
import { updateVersioned } from '../../bots/core/versioned';
import { eventually } from '../helpers/eventually';

export interface CoordinationContext {
  /** The test's store (never closed by a test). */
  store(): Store;
  /** The test's key prefix. */
  base(): string;
  /** Another instance: on a shared backend, another "process". */
  open(): Promise<Store>;
  shared: boolean;
}

const SHORT_TTL = 200;
const LONG_TTL = 60_000;

/** Waits for what a subscription receives. */
function inbox<T>() {
  const received: T[] = [];
  return { received, handler: (message: T) => void received.push(message) };
}

export function describeCoordinationConformance(ctx: CoordinationContext): void {
  const { store, base } = ctx;

  describe('leases', () => {
    test('acquire, holder, renew, release; the next acquisition gets a larger token', async () => {
      const name = `${base()}lease`;
      await expect(store().leaseHolder(name)).resolves.toBeUndefined();
      const lease = await store().acquireLease(name, 'alpha', LONG_TTL);
      expect(lease).toEqual({ name, owner: 'alpha', token: expect.any(Number) });
      expect(lease!.token).toBeGreaterThan(0);
      await expect(store().leaseHolder(name)).resolves.toEqual({ owner: 'alpha', token: lease!.token });
      // Held: nobody takes it, its owner included.
      await expect(store().acquireLease(name, 'beta', LONG_TTL)).resolves.toBeUndefined();
      await expect(store().acquireLease(name, 'alpha', LONG_TTL)).resolves.toBeUndefined();
      // Only the owner with its token renews or releases.
      await expect(store().renewLease(name, 'beta', lease!.token, LONG_TTL)).resolves.toBe(false);
      await expect(store().renewLease(name, 'alpha', lease!.token + 1, LONG_TTL)).resolves.toBe(false);
      await expect(store().releaseLease(name, 'beta', lease!.token)).resolves.toBe(false);
      await expect(store().renewLease(name, 'alpha', lease!.token, LONG_TTL)).resolves.toBe(true);
      await expect(store().releaseLease(name, 'alpha', lease!.token)).resolves.toBe(true);
      await expect(store().leaseHolder(name)).resolves.toBeUndefined();
      await expect(store().renewLease(name, 'alpha', lease!.token, LONG_TTL)).resolves.toBe(false);
      await expect(store().releaseLease(name, 'alpha', lease!.token)).resolves.toBe(false);
      // Free at once after release; the token still grows.
      const next = await store().acquireLease(name, 'beta', LONG_TTL);
      expect(next!.token).toBeGreaterThan(lease!.token);
      const third = (await store().releaseLease(name, 'beta', next!.token)) && (await store().acquireLease(name, 'alpha', LONG_TTL));
      expect((third as { token: number }).token).toBeGreaterThan(next!.token);
    });

    test('a released lease leaves no record behind once the clock has passed its token', async () => {
      const name = `${base()}released-lease`;
      const lease = (await store().acquireLease(name, 'alpha', LONG_TTL))!;
      await new Promise((resolve) => setTimeout(resolve, 5));
      await expect(store().releaseLease(name, 'alpha', lease.token)).resolves.toBe(true);
      await eventually(async () => expect(await store().keys(name)).toEqual([]));
      // Also when released by the step that empties an inbox.
      const inbox = `${base()}released-inbox`;
      const appended = await store().appendIfNew([], LONG_TTL, inbox, { id: 'e1' }, LONG_TTL, { name, owner: 'beta', ttlMs: LONG_TTL });
      expect(appended.lease!.token).toBeGreaterThan(lease.token);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await expect(store().settleHead(appended.lease!, inbox, { headId: 'e1', release: true })).resolves.toEqual({
        remaining: 0,
        released: true,
      });
      await eventually(async () => expect(await store().keys(name)).toEqual([]));
    });

    test('a lease is a key under the namespace: keys lists it', async () => {
      await store().acquireLease(`${base()}leases:one`, 'alpha', LONG_TTL);
      await expect(store().keys(`${base()}leases:`)).resolves.toEqual([`${base()}leases:one`]);
    });

    test('20 contenders for one lease: exactly one wins', async () => {
      const name = `${base()}contended`;
      const others = ctx.shared ? await ctx.open() : store();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store() : others).acquireLease(name, `owner-${i}`, LONG_TTL)),
      );
      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      await expect(others.leaseHolder(name)).resolves.toEqual({ owner: winners[0]!.owner, token: winners[0]!.token });
    });

    test('a lease not renewed expires: another owner takes it with a larger token, and the stale owner can do nothing', async () => {
      const name = `${base()}expiring`;
      const other = ctx.shared ? await ctx.open() : store();
      const stale = (await store().acquireLease(name, 'stale', SHORT_TTL))!;
      expect(stale).toBeDefined();
      const taken = await eventually(async () => {
        const lease = await other.acquireLease(name, 'fresh', LONG_TTL);
        if (!lease) throw new Error('still held');
        return lease;
      });
      expect(taken.token).toBeGreaterThan(stale.token);
      await expect(store().leaseHolder(name)).resolves.toEqual({ owner: 'fresh', token: taken.token });

      await expect(store().renewLease(name, 'stale', stale.token, LONG_TTL)).resolves.toBe(false);
      await expect(store().releaseLease(name, 'stale', stale.token)).resolves.toBe(false);
      await expect(store().setIfLeaseHeld(stale, `${base()}fenced`, { from: 'stale' }, LONG_TTL)).resolves.toBe(false);
      await expect(store().claimIfLeaseHeld(stale, `${base()}claimed`, LONG_TTL)).resolves.toBe('lost');
      await expect(store().get(`${base()}fenced`)).resolves.toBeUndefined();
      await expect(store().get(`${base()}claimed`)).resolves.toBeUndefined();
      // The new owner's writes land.
      await expect(other.setIfLeaseHeld(taken, `${base()}fenced`, { from: 'fresh' }, LONG_TTL)).resolves.toBe(true);
      await expect(store().get(`${base()}fenced`)).resolves.toEqual({ from: 'fresh' });
      await expect(store().leaseHolder(name)).resolves.toEqual({ owner: 'fresh', token: taken.token });
    });

    test('renewing keeps a lease past its first TTL', async () => {
      const name = `${base()}renewed`;
      const lease = (await store().acquireLease(name, 'alpha', SHORT_TTL))!;
      await expect(store().renewLease(name, 'alpha', lease.token, LONG_TTL)).resolves.toBe(true);
      await new Promise((resolve) => setTimeout(resolve, SHORT_TTL * 3));
      await expect(store().acquireLease(name, 'beta', LONG_TTL)).resolves.toBeUndefined();
      await expect(store().leaseHolder(name)).resolves.toEqual({ owner: 'alpha', token: lease.token });
    });

    test('fenced set and claim while held: values as set writes them, claims once', async () => {
      const lease = (await store().acquireLease(`${base()}fence`, 'alpha', LONG_TTL))!;
      const value = { big: Number.MAX_SAFE_INTEGER, text: 'héllo 👋 "quoted" \\ /', list: [1, null, { deep: true }] };
      await expect(store().setIfLeaseHeld(lease, `${base()}value`, value, LONG_TTL)).resolves.toBe(true);
      await expect(store().get(`${base()}value`)).resolves.toEqual(value);
      await expect(store().claimIfLeaseHeld(lease, `${base()}mark`, LONG_TTL)).resolves.toBe('claimed');
      await expect(store().claimIfLeaseHeld(lease, `${base()}mark`, LONG_TTL)).resolves.toBe('taken');
      await expect(store().claim(`${base()}mark`, LONG_TTL)).resolves.toBe(false);
      await expect(store().get(`${base()}mark`)).resolves.toBe(true);
      // Someone else's token does not fence.
      await expect(store().setIfLeaseHeld({ ...lease, token: lease.token + 1 }, `${base()}value`, 'x', LONG_TTL)).resolves.toBe(false);
      await expect(store().get(`${base()}value`)).resolves.toEqual(value);
    });

    test('caller errors: no TTL, no owner, a key that is not a lease', async () => {
      const name = `${base()}bad`;
      await expect(store().acquireLease(name, 'alpha', 0)).rejects.toThrow(/TTL/);
      await expect(store().acquireLease(name, '', LONG_TTL)).rejects.toThrow(TypeError);
      await expect(store().leaseHolder(name)).resolves.toBeUndefined();
      await store().set(`${base()}value`, { not: 'a lease' }, LONG_TTL);
      await store().append(`${base()}list`, 1, LONG_TTL);
      for (const key of [`${base()}value`, `${base()}list`]) {
        const e = await store()
          .acquireLease(key, 'alpha', LONG_TTL)
          .catch((err: unknown) => err);
        expect((e as Error).name).toBe('TypeError');
        expect(isBridgeError(e, 'store_unavailable')).toBe(false);
      }
      await expect(store().get(`${base()}value`)).resolves.toEqual({ not: 'a lease' });
    });
  });

  describe('versioned values', () => {
    test('setVersioned is compare-and-set: versions count writes, a stale version loses', async () => {
      const key = `${base()}record`;
      await expect(store().getVersioned(key)).resolves.toBeUndefined();
      await expect(store().setVersioned(key, { n: 1 }, 1, LONG_TTL)).resolves.toBe(false);
      await expect(store().setVersioned(key, { n: 1 }, 0, LONG_TTL)).resolves.toBe(true);
      await expect(store().getVersioned(key)).resolves.toEqual({ value: { n: 1 }, version: 1 });
      await expect(store().setVersioned(key, { n: 'stale' }, 0, LONG_TTL)).resolves.toBe(false);
      await expect(store().setVersioned(key, { n: 2, big: Number.MAX_SAFE_INTEGER }, 1, LONG_TTL)).resolves.toBe(true);
      await expect(store().getVersioned(key)).resolves.toEqual({ value: { n: 2, big: Number.MAX_SAFE_INTEGER }, version: 2 });
      await expect(store().setVersioned(key, { n: 'stale' }, 1, LONG_TTL)).resolves.toBe(false);
      // An ordinary read sees the value; a plain set makes it unversioned.
      await expect(store().get(key)).resolves.toEqual({ n: 2, big: Number.MAX_SAFE_INTEGER });
      await expect(store().keys(`${base()}rec`)).resolves.toEqual([key]);
      await store().set(key, 'plain', LONG_TTL);
      await expect(store().getVersioned(key)).resolves.toEqual({ value: 'plain', version: 0 });
      await expect(store().setVersioned(key, 'versioned again', 0, LONG_TTL)).resolves.toBe(true);
      await expect(store().getVersioned(key)).resolves.toEqual({ value: 'versioned again', version: 1 });
    });

    test('a versioned value expires with its TTL and starts again at version 1', async () => {
      const key = `${base()}short`;
      await store().setVersioned(key, 'a', 0, SHORT_TTL);
      await eventually(async () => expect(await store().getVersioned(key)).toBeUndefined());
      await expect(store().setVersioned(key, 'b', 0, LONG_TTL)).resolves.toBe(true);
      await expect(store().getVersioned(key)).resolves.toEqual({ value: 'b', version: 1 });
    });

    test('two writers at one version: exactly one wins', async () => {
      const key = `${base()}race`;
      const other = ctx.shared ? await ctx.open() : store();
      await store().setVersioned(key, { by: 'first' }, 0, LONG_TTL);
      const [a, b] = await Promise.all([store().getVersioned(key), other.getVersioned(key)]);
      const results = await Promise.all([
        store().setVersioned(key, { by: 'a' }, a!.version, LONG_TTL),
        other.setVersioned(key, { by: 'b' }, b!.version, LONG_TTL),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      await expect(store().getVersioned(key)).resolves.toEqual({ value: { by: results[0] ? 'a' : 'b' }, version: 2 });
    });

    test('concurrent updateVersioned calls all land (retrying on conflicts)', async () => {
      const key = `${base()}counter`;
      const other = ctx.shared ? await ctx.open() : store();
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          updateVersioned<{ n: number; by: number[] }>(
            i % 2 === 0 ? store() : other,
            key,
            (current) => ({ n: (current?.n ?? 0) + 1, by: [...(current?.by ?? []), i] }),
            LONG_TTL,
            { attempts: 50 },
          ),
        ),
      );
      const final = await store().getVersioned<{ n: number; by: number[] }>(key);
      expect(final!.value.n).toBe(20);
      expect([...final!.value.by].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(final!.version).toBe(20);
    });

    test('caller errors: a list, a bad version, a value with no JSON form', async () => {
      await store().append(`${base()}list`, 1, LONG_TTL);
      for (const call of [store().getVersioned(`${base()}list`), store().setVersioned(`${base()}list`, 'x', 0, LONG_TTL)]) {
        expect(((await call.catch((e: unknown) => e)) as Error).name).toBe('TypeError');
      }
      await expect(store().setVersioned(`${base()}k`, 'x', -1, LONG_TTL)).rejects.toThrow(TypeError);
      await expect(store().setVersioned(`${base()}k`, { n: BigInt(1) }, 0, LONG_TTL)).rejects.toThrow(TypeError);
      await expect(store().setVersioned(`${base()}k`, 'x', 0, 0)).rejects.toThrow(/TTL/);
      await expect(store().getVersioned(`${base()}k`)).resolves.toBeUndefined();
      await expect(store().list(`${base()}list`)).resolves.toEqual([1]);
    });
  });

  describe('pub/sub', () => {
    test('subscribers get fresh copies, in order, never inside publish; unsubscribe stops delivery', async () => {
      const channel = `${base()}events`;
      const first = inbox<{ n: number; tags: string[] }>();
      const second = inbox<{ n: number; tags: string[] }>();
      const stopFirst = await store().subscribe(channel, first.handler);
      await store().subscribe(channel, second.handler);

      const message = { n: 0, tags: ['a'] };
      const publishing = store().publish(channel, message);
      // Never delivered inside publish, so a publisher's own handler cannot re-enter it.
      expect(first.received).toEqual([]);
      await publishing;
      message.tags.push('changed after publish');
      for (let n = 1; n < 10; n++) await store().publish(channel, { n, tags: [] });
      await eventually(() => expect(second.received).toHaveLength(10));
      await eventually(() => expect(first.received).toHaveLength(10));
      expect(first.received.map((m) => m.n)).toEqual(Array.from({ length: 10 }, (_, n) => n));
      expect(first.received[0]).toEqual({ n: 0, tags: ['a'] });
      first.received[0].tags.push('changed by one handler');
      expect(second.received[0]).toEqual({ n: 0, tags: ['a'] });

      await stopFirst();
      await stopFirst(); // twice is harmless
      await store().publish(channel, { n: 10, tags: [] });
      await store().publish(channel, { n: 11, tags: [] });
      // `second` is on the same connection and channel: once it has both, `first` would have them too.
      await eventually(() => expect(second.received).toHaveLength(12));
      expect(first.received).toHaveLength(10);
    });

    test('a handler that throws or rejects does not stop the others; channels are separate', async () => {
      const channel = `${base()}errors`;
      const good = inbox<string>();
      const elsewhere = inbox<string>();
      await store().subscribe(channel, () => {
        throw new Error('handler bug');
      });
      await store().subscribe(channel, async () => {
        throw new Error('async handler bug');
      });
      await store().subscribe(channel, good.handler);
      await store().subscribe(`${base()}other`, elsewhere.handler);
      await store().publish(channel, 'one');
      await store().publish(channel, 'two');
      await eventually(() => expect(good.received).toEqual(['one', 'two']));
      expect(elsewhere.received).toEqual([]);
      await expect(store().publish(channel, { n: BigInt(1) })).rejects.toThrow(TypeError);
    });

    test('publish with no subscriber is fine; calls after close fail with store_unavailable', async () => {
      await expect(store().publish(`${base()}nobody`, { hello: 'world' })).resolves.toBeUndefined();
      const closed = await ctx.open();
      await closed.close();
      for (const call of [
        closed.publish(`${base()}c`, 1),
        closed.subscribe(`${base()}c`, () => undefined),
        closed.acquireLease(`${base()}l`, 'alpha', LONG_TTL),
        closed.getVersioned(`${base()}v`),
      ]) {
        expect(isBridgeError(await call.catch((e: unknown) => e), 'store_unavailable')).toBe(true);
      }
    });

    if (!ctx.shared) return;

    test('across instances: every subscriber in every instance gets each message once', async () => {
      const channel = `${base()}cluster`;
      const other = await ctx.open();
      const here = inbox<{ from: string; n: number }>();
      const there = inbox<{ from: string; n: number }>();
      const stopThere = await other.subscribe(channel, there.handler);
      await store().subscribe(channel, here.handler);
      for (let n = 0; n < 5; n++) {
        await store().publish(channel, { from: 'store', n });
        await other.publish(channel, { from: 'other', n });
      }
      for (const box of [here, there]) {
        await eventually(() => expect(box.received).toHaveLength(10));
        for (const from of ['store', 'other']) {
          expect(box.received.filter((m) => m.from === from).map((m) => m.n)).toEqual([0, 1, 2, 3, 4]);
        }
      }
      await stopThere();
      await store().publish(channel, { from: 'store', n: 5 });
      await eventually(() => expect(here.received).toHaveLength(11));
      // Both subscriber connections get a message in one Redis step; give a stray one a moment anyway.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(there.received).toHaveLength(10);
    });
  });
}
