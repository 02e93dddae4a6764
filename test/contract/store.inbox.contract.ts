/**
 * The `Store` conformance suite, part three: inboxes (`appendIfNew`, `settleHead`), what the
 * broker's per-user order and durability stand on. Called from `describeStoreConformance` with
 * its per-test store and key prefix, on every engine.
 */
import type { Store } from '../../bots/core/ports';
import { eventually } from '../helpers/eventually';
import type { CoordinationContext } from './store.coordination.contract';

const SHORT_TTL = 200;
const LONG_TTL = 60_000;

export function describeInboxConformance(ctx: CoordinationContext): void {
  const { store, base } = ctx;

  describe('inboxes', () => {
    test('appendIfNew appends once per set of marks, claims them like claim, and refuses a value without its id first', async () => {
      const list = `${base()}inbox`;
      const [m1, m2, m3] = [`${base()}m1`, `${base()}m2`, `${base()}m3`];
      await expect(store().appendIfNew([m1, m2], LONG_TTL, list, { id: 'a', n: 1 }, LONG_TTL)).resolves.toEqual({ appended: true });
      await expect(store().appendIfNew([m2, m3], LONG_TTL, list, { id: 'b', n: 2 }, LONG_TTL)).resolves.toEqual({ appended: false });
      // The other mark of a refused append is claimed all the same.
      await expect(store().claim(m3, LONG_TTL)).resolves.toBe(false);
      await expect(store().get(m1)).resolves.toBe(true);
      await expect(store().appendIfNew([], LONG_TTL, list, { id: 'c' }, LONG_TTL)).resolves.toEqual({ appended: true });
      await expect(store().list(list)).resolves.toEqual([{ id: 'a', n: 1 }, { id: 'c' }]);
      await expect(store().appendIfNew([], LONG_TTL, list, { n: 1, id: 'd' } as never, LONG_TTL)).rejects.toThrow(TypeError);
      await expect(store().list(list)).resolves.toHaveLength(2);
    });

    test('concurrent appendIfNew with one mark: exactly one lands, across instances', async () => {
      const list = `${base()}inbox`;
      const mark = `${base()}mark`;
      const other = ctx.shared ? await ctx.open() : store();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? other : store()).appendIfNew([mark], LONG_TTL, list, { id: `e${i}` }, LONG_TTL)),
      );
      expect(results.filter((r) => r.appended)).toHaveLength(1);
      await expect(store().list(list)).resolves.toHaveLength(1);
      // Without marks every append lands, each once.
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? other : store()).appendIfNew([], LONG_TTL, list, { id: `f${i}` }, LONG_TTL)),
      );
      await expect(store().list(list)).resolves.toHaveLength(21);
    });

    test('marks and the list expire with their TTLs', async () => {
      const list = `${base()}inbox`;
      const mark = `${base()}mark`;
      await store().appendIfNew([mark], SHORT_TTL, list, { id: 'a' }, SHORT_TTL);
      await eventually(async () =>
        expect(await store().appendIfNew([mark], SHORT_TTL, `${list}2`, { id: 'b' }, LONG_TTL)).toEqual({ appended: true }),
      );
      await eventually(async () => expect(await store().list(list)).toEqual([]));
    });

    test('appendIfNew with take: the lease when free, with the whole list; nothing when held or a duplicate', async () => {
      const list = `${base()}inbox`;
      const name = `${base()}owner`;
      const mark = `${base()}mark`;
      const take = (owner: string) => ({ name, owner, ttlMs: LONG_TTL });
      await store().appendIfNew([], LONG_TTL, list, { id: 'a' }, LONG_TTL);
      const won = await store().appendIfNew([mark], LONG_TTL, list, { id: 'b', text: 'x' }, LONG_TTL, take('alpha'));
      expect(won).toEqual({
        appended: true,
        lease: { name, owner: 'alpha', token: expect.any(Number) },
        entries: [{ id: 'a' }, { id: 'b', text: 'x' }],
      });
      await expect(store().leaseHolder(name)).resolves.toEqual({ owner: 'alpha', token: won.lease!.token });
      // Held (by anyone, its owner too): appended, no lease, no read.
      await expect(store().appendIfNew([], LONG_TTL, list, { id: 'c' }, LONG_TTL, take('beta'))).resolves.toEqual({ appended: true });
      await expect(store().appendIfNew([], LONG_TTL, list, { id: 'd' }, LONG_TTL, take('alpha'))).resolves.toEqual({ appended: true });
      await store().releaseLease(name, 'alpha', won.lease!.token);
      // A duplicate takes nothing, even with the lease free.
      await expect(store().appendIfNew([mark], LONG_TTL, list, { id: 'e' }, LONG_TTL, take('beta'))).resolves.toEqual({ appended: false });
      await expect(store().leaseHolder(name)).resolves.toBeUndefined();
      const next = await store().appendIfNew([], LONG_TTL, list, { id: 'f' }, LONG_TTL, take('beta'));
      expect(next.lease!.token).toBeGreaterThan(won.lease!.token);
      expect(next.entries!.map((e) => e.id)).toEqual(['a', 'b', 'c', 'd', 'f']);
    });

    test('appendIfNew with take.read: the key is read with the lease won, absent as undefined; not read otherwise', async () => {
      const list = `${base()}inbox`;
      const name = `${base()}owner`;
      const state = `${base()}state`;
      const take = (owner: string) => ({ name, owner, ttlMs: LONG_TTL, read: state });
      const first = await store().appendIfNew([], LONG_TTL, list, { id: 'a' }, LONG_TTL, take('alpha'));
      expect(first.read).toEqual({ value: undefined });
      await store().set(state, { phase: 'live', n: 12345 }, LONG_TTL);
      // Held: no lease, so nothing read.
      await expect(store().appendIfNew([], LONG_TTL, list, { id: 'b' }, LONG_TTL, take('beta'))).resolves.toEqual({ appended: true });
      await store().releaseLease(name, 'alpha', first.lease!.token);
      const second = await store().appendIfNew([], LONG_TTL, list, { id: 'c' }, LONG_TTL, take('beta'));
      expect(second.read).toEqual({ value: await store().get(state) });
      expect(second.entries!.map((e) => e.id)).toEqual(['a', 'b', 'c']);
    });

    test('concurrent appendIfNew with take on one list: every entry lands once, exactly one wins the lease', async () => {
      const list = `${base()}inbox`;
      const name = `${base()}owner`;
      const other: Store = ctx.shared ? await ctx.open() : store();
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? other : store()).appendIfNew([], LONG_TTL, list, { id: `e${i}` }, LONG_TTL, { name, owner: `p${i}`, ttlMs: LONG_TTL }),
        ),
      );
      expect(answers.filter((a) => a.lease)).toHaveLength(1);
      await expect(store().list(list)).resolves.toHaveLength(20);
    });

    test('settleHead writes, removes the head only when it is the named entry, and releases only when empty', async () => {
      const list = `${base()}inbox`;
      const name = `${base()}owner`;
      const conv = `${base()}conv`;
      for (const id of ['a', 'ab', 'b']) await store().appendIfNew([], LONG_TTL, list, { id }, LONG_TTL);
      const lease = (await store().acquireLease(name, 'alpha', LONG_TTL))!;
      // Not the head ('ab' is not 'a'... but 'a' is): the prefix of another id does not match.
      await expect(store().settleHead(lease, list, { headId: 'b', release: true })).resolves.toEqual({ remaining: 3, released: false });
      await expect(
        store().settleHead(lease, list, { headId: 'a', writes: [{ key: conv, value: { v: 1 }, ttlMs: LONG_TTL }], release: true }),
      ).resolves.toEqual({ remaining: 2, released: false });
      await expect(store().get(conv)).resolves.toEqual({ v: 1 });
      await expect(store().settleHead(lease, list, { headId: 'a' })).resolves.toEqual({ remaining: 2, released: false });
      await expect(store().settleHead(lease, list, { headId: 'ab' })).resolves.toEqual({ remaining: 1, released: false });
      await expect(store().leaseHolder(name)).resolves.toEqual({ owner: 'alpha', token: lease.token });
      await expect(store().settleHead(lease, list, { headId: 'b', release: true })).resolves.toEqual({ remaining: 0, released: true });
      await expect(store().leaseHolder(name)).resolves.toBeUndefined();
      await expect(store().list(list)).resolves.toEqual([]);
      // Released: the lease is lost for further settles, which then change nothing.
      await store().appendIfNew([], LONG_TTL, list, { id: 'c' }, LONG_TTL);
      await expect(
        store().settleHead(lease, list, { headId: 'c', writes: [{ key: conv, value: { v: 2 }, ttlMs: LONG_TTL }] }),
      ).resolves.toBe('lost');
      await expect(store().get(conv)).resolves.toEqual({ v: 1 });
      await expect(store().list(list)).resolves.toEqual([{ id: 'c' }]);
      // The next holder gets a larger token and settles.
      const next = (await store().acquireLease(name, 'beta', LONG_TTL))!;
      expect(next.token).toBeGreaterThan(lease.token);
      await expect(store().settleHead(next, list, { headId: 'c', release: true })).resolves.toEqual({ remaining: 0, released: true });
    });

    test('an append that lands while the holder settles is never stranded: either the settle sees it or the lease is free', async () => {
      const list = `${base()}inbox`;
      const name = `${base()}owner`;
      const other: Store = ctx.shared ? await ctx.open() : store();
      for (let round = 0; round < 10; round++) {
        await store().appendIfNew([], LONG_TTL, list, { id: `h${round}` }, LONG_TTL);
        const lease = (await store().acquireLease(name, 'holder', LONG_TTL))!;
        const [settled, appended] = await Promise.all([
          store().settleHead(lease, list, { headId: `h${round}`, release: true }),
          other.appendIfNew([], LONG_TTL, list, { id: `x${round}` }, LONG_TTL).then(() => other.acquireLease(name, 'appender', LONG_TTL)),
        ]);
        if (settled === 'lost') throw new Error('lease lost');
        // The appender took the lease (the holder released before it appended), or the holder kept it and saw the entry.
        expect(appended !== undefined || (settled.remaining === 1 && !settled.released)).toBe(true);
        const holder = appended ?? lease;
        await expect(other.settleHead(holder, list, { headId: `x${round}`, release: true })).resolves.toEqual({
          remaining: 0,
          released: true,
        });
      }
    });

    test('a lease that expired cannot settle', async () => {
      const list = `${base()}inbox`;
      const name = `${base()}owner`;
      await store().appendIfNew([], LONG_TTL, list, { id: 'a' }, LONG_TTL);
      const lease = (await store().acquireLease(name, 'alpha', SHORT_TTL))!;
      await eventually(async () => expect(await store().leaseHolder(name)).toBeUndefined());
      await expect(store().settleHead(lease, list, { headId: 'a' })).resolves.toBe('lost');
      await expect(store().list(list)).resolves.toEqual([{ id: 'a' }]);
    });
  });
}
