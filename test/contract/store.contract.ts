/**
 * The `Store` conformance suite: one set of expectations, run against every implementation
 * (memory and Redis today). Real time, no fake timers: Redis expires keys on its own clock.
 */
import { randomUUID } from 'node:crypto';
import type { Store } from '../../bots/core/ports';
import { isBridgeError } from '../../bots/core/errors';
import { describeCoordinationConformance } from './store.coordination.contract';
import { describeInboxConformance } from './store.inbox.contract';

export interface ConformanceOptions {
  /**
   * Stores made by `makeStore` share one backend (Redis): the cross-instance tests run, i.e.
   * what makes several processes and restarts work.
   */
  shared?: boolean;
}

const SHORT_TTL = 150;
/** Long enough past SHORT_TTL for a loaded CI machine. */
const PAST_SHORT_TTL = 450;
const LONG_TTL = 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function describeStoreConformance(name: string, makeStore: () => Promise<Store>, options: ConformanceOptions = {}): void {
  describe(`Store conformance: ${name}`, () => {
    // Keys are unique per run and per test, so runs sharing a Redis never see each other.
    const run = `conformance-${randomUUID()}`;
    let seq = 0;
    let base = '';
    let store: Store;
    const opened: Store[] = [];

    async function open(): Promise<Store> {
      const s = await makeStore();
      opened.push(s);
      return s;
    }

    beforeEach(async () => {
      seq += 1;
      base = `${run}:${seq}:`;
      store = await open();
    });

    afterEach(async () => {
      // `store` is never closed by a test, so it can clean up what the test wrote.
      for (const key of await store.keys(base)) await store.delete(key);
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    test('get of an unknown key is undefined', async () => {
      await expect(store.get(`${base}never-written`)).resolves.toBeUndefined();
    });

    test('values round-trip as JSON', async () => {
      const value = {
        text: 'héllo wörld 👋 مرحبا 你好',
        integer: 42,
        negative: -3.5,
        largest: Number.MAX_SAFE_INTEGER,
        zero: 0,
        yes: true,
        no: false,
        nothing: null,
        empty: '',
        colon: ':starts with a colon',
        list: [1, 'two', { three: 3 }, [4, [5]], null, false],
        nested: { deep: { deeper: { leaf: 'x' } }, emptyObject: {}, emptyList: [] },
      };
      await store.set(`${base}object`, value, LONG_TTL);
      await expect(store.get(`${base}object`)).resolves.toEqual(value);

      // Top-level non-objects, including falsy ones.
      const scalars: [string, unknown][] = [
        ['string', 'just text'],
        ['number', 0],
        ['false', false],
        ['array', [1, 2, 3]],
        ['emptyString', ''],
      ];
      for (const [suffix, scalar] of scalars) {
        await store.set(`${base}${suffix}`, scalar, LONG_TTL);
        await expect(store.get(`${base}${suffix}`)).resolves.toEqual(scalar);
      }
    });

    test('values follow JSON rules (the same in memory as in Redis)', async () => {
      await store.set(`${base}json`, { at: new Date(0), gone: undefined, kept: 1 }, LONG_TTL);
      const back = await store.get<Record<string, unknown>>(`${base}json`);
      expect(back).toStrictEqual({ at: '1970-01-01T00:00:00.000Z', kept: 1 });
    });

    test('a stored value is a copy, not a reference', async () => {
      const value = { user: { name: 'Ada' }, tags: ['a'] };
      await store.set(`${base}copy`, value, LONG_TTL);
      value.user.name = 'changed after set';
      value.tags.push('b');
      const first = await store.get<typeof value>(`${base}copy`);
      expect(first).toEqual({ user: { name: 'Ada' }, tags: ['a'] });
      first!.user.name = 'changed after get';
      await expect(store.get(`${base}copy`)).resolves.toEqual({ user: { name: 'Ada' }, tags: ['a'] });
    });

    test('set overwrites, including the TTL', async () => {
      await store.set(`${base}k`, { v: 1 }, SHORT_TTL);
      await store.set(`${base}k`, { v: 2 }, LONG_TTL);
      await sleep(PAST_SHORT_TTL);
      await expect(store.get(`${base}k`)).resolves.toEqual({ v: 2 });
    });

    test('delete removes a key; deleting an unknown key is fine', async () => {
      await store.set(`${base}k`, 'v', LONG_TTL);
      await store.delete(`${base}k`);
      await expect(store.get(`${base}k`)).resolves.toBeUndefined();
      await expect(store.delete(`${base}never-written`)).resolves.toBeUndefined();
    });

    test('keys expire after their TTL', async () => {
      await store.set(`${base}short`, { v: 1 }, SHORT_TTL);
      await store.set(`${base}long`, { v: 2 }, LONG_TTL);
      await expect(store.get(`${base}short`)).resolves.toEqual({ v: 1 });
      await sleep(PAST_SHORT_TTL);
      await expect(store.get(`${base}short`)).resolves.toBeUndefined();
      await expect(store.get(`${base}long`)).resolves.toEqual({ v: 2 });
    });

    test.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, undefined, '1000'])(
      'set and claim without a positive TTL (%p) throw and store nothing',
      async (ttl) => {
        const bad = ttl as unknown as number;
        await expect(store.set(`${base}k`, 'v', bad)).rejects.toThrow(/TTL/);
        await expect(store.claim(`${base}c`, bad)).rejects.toThrow(/TTL/);
        await expect(store.get(`${base}k`)).resolves.toBeUndefined();
        await expect(store.get(`${base}c`)).resolves.toBeUndefined();
      },
    );

    test('claim: true once, false while present, true again after expiry', async () => {
      const key = `${base}claim`;
      await expect(store.claim(key, SHORT_TTL)).resolves.toBe(true);
      await expect(store.claim(key, SHORT_TTL)).resolves.toBe(false);
      await expect(store.claim(key, LONG_TTL)).resolves.toBe(false);
      // A claim is an ordinary key: get and keys see it.
      await expect(store.get(key)).resolves.toBeDefined();
      await expect(store.keys(`${base}cl`)).resolves.toEqual([key]);
      await sleep(PAST_SHORT_TTL);
      await expect(store.claim(key, SHORT_TTL)).resolves.toBe(true);
    });

    test('claim of a key that was set is false; after delete it is true', async () => {
      const key = `${base}taken`;
      await store.set(key, { owner: 'someone' }, LONG_TTL);
      await expect(store.claim(key, LONG_TTL)).resolves.toBe(false);
      await expect(store.get(key)).resolves.toEqual({ owner: 'someone' });
      await store.delete(key);
      await expect(store.claim(key, LONG_TTL)).resolves.toBe(true);
    });

    test('20 concurrent claims of one key: exactly one wins', async () => {
      const key = `${base}race`;
      const results = await Promise.all(Array.from({ length: 20 }, () => store.claim(key, LONG_TTL)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    test('keys(prefix) lists exactly the live keys under the prefix', async () => {
      await store.set(`${base}users:1`, 1, LONG_TTL);
      await store.set(`${base}users:2`, 2, LONG_TTL);
      await store.set(`${base}users:deeper:3`, 3, LONG_TTL);
      await store.claim(`${base}users:claimed`, LONG_TTL);
      await store.set(`${base}users:expiring`, 4, SHORT_TTL);
      await store.set(`${base}user`, 'shorter than the prefix', LONG_TTL);
      await store.set(`${base}other:1`, 'another prefix', LONG_TTL);
      await sleep(PAST_SHORT_TTL);

      const listed = await store.keys(`${base}users:`);
      expect([...listed].sort()).toEqual([`${base}users:1`, `${base}users:2`, `${base}users:claimed`, `${base}users:deeper:3`].sort());
      await expect(store.keys(`${base}nothing-here:`)).resolves.toEqual([]);
    });

    test('keys with odd characters work everywhere', async () => {
      const odd = ['a:b::c', 'with space', 'ünïcødé ✓ 👋', 'glob*?[x]\\^', 'tab\tand\nnewline', '{"json":true}'].map(
        (suffix) => `${base}${suffix}`,
      );
      for (const [i, key] of odd.entries()) await store.set(key, { i }, LONG_TTL);
      // A decoy that an unescaped `glob*?[x]` pattern would match.
      await store.set(`${base}globXY[x]\\^`, 'decoy', LONG_TTL);

      for (const [i, key] of odd.entries()) await expect(store.get(key)).resolves.toEqual({ i });
      await expect(store.keys(`${base}glob*?[x]`)).resolves.toEqual([`${base}glob*?[x]\\^`]);
      await expect(store.keys(`${base}ünï`)).resolves.toEqual([`${base}ünïcødé ✓ 👋`]);
      expect([...(await store.keys(base))].sort()).toEqual([...odd, `${base}globXY[x]\\^`].sort());

      await expect(store.claim(odd[0], LONG_TTL)).resolves.toBe(false);
      await store.delete(odd[2]);
      await expect(store.get(odd[2])).resolves.toBeUndefined();
    });

    test('append builds a list in order and answers its length; list of an unknown key is []', async () => {
      const key = `${base}log`;
      await expect(store.list(key)).resolves.toEqual([]);
      await expect(store.append(key, { n: 1 }, LONG_TTL)).resolves.toBe(1);
      await expect(store.append(key, 'two', LONG_TTL)).resolves.toBe(2);
      await expect(store.append(key, { n: 3, deep: { list: [1, 'x', null] } }, LONG_TTL)).resolves.toBe(3);
      await expect(store.list(key)).resolves.toEqual([{ n: 1 }, 'two', { n: 3, deep: { list: [1, 'x', null] } }]);
      // Falsy values are values too.
      const falsy = `${base}falsy`;
      for (const v of [0, '', false, null]) await store.append(falsy, v, LONG_TTL);
      await expect(store.list(falsy)).resolves.toEqual([0, '', false, null]);
    });

    test('list values follow JSON rules and are copies', async () => {
      const key = `${base}copies`;
      const value = { at: new Date(0), gone: undefined, text: 'héllo 👋\nnew line', tags: ['a'] };
      await store.append(key, value, LONG_TTL);
      value.tags.push('changed after append');
      const [first] = await store.list<Record<string, unknown>>(key);
      expect(first).toStrictEqual({ at: '1970-01-01T00:00:00.000Z', text: 'héllo 👋\nnew line', tags: ['a'] });
      (first.tags as string[]).push('changed after list');
      await expect(store.list(key)).resolves.toEqual([{ at: '1970-01-01T00:00:00.000Z', text: 'héllo 👋\nnew line', tags: ['a'] }]);
    });

    test('each append sets the whole list’s TTL; an expired list is gone and starts afresh', async () => {
      const renewed = `${base}renewed`;
      await store.append(renewed, 1, SHORT_TTL);
      await store.append(renewed, 2, LONG_TTL);
      const shortened = `${base}shortened`;
      await store.append(shortened, 1, LONG_TTL);
      await store.append(shortened, 2, SHORT_TTL);
      await sleep(PAST_SHORT_TTL);
      await expect(store.list(renewed)).resolves.toEqual([1, 2]);
      await expect(store.list(shortened)).resolves.toEqual([]);
      await expect(store.keys(`${base}shortened`)).resolves.toEqual([]);
      await expect(store.append(shortened, 3, LONG_TTL)).resolves.toBe(1);
      await expect(store.list(shortened)).resolves.toEqual([3]);
    });

    test('lists are keys: keys(prefix) lists them, delete removes them', async () => {
      await store.append(`${base}lists:a`, 'x', LONG_TTL);
      await store.set(`${base}lists:b`, 'value', LONG_TTL);
      expect([...(await store.keys(`${base}lists:`))].sort()).toEqual([`${base}lists:a`, `${base}lists:b`]);
      await store.delete(`${base}lists:a`);
      await expect(store.list(`${base}lists:a`)).resolves.toEqual([]);
      await expect(store.keys(`${base}lists:`)).resolves.toEqual([`${base}lists:b`]);
    });

    test('50 concurrent appends to one list: all land, each once', async () => {
      const key = `${base}busy`;
      const lengths = await Promise.all(Array.from({ length: 50 }, (_, i) => store.append(key, i, LONG_TTL)));
      expect([...lengths].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      const items = await store.list<number>(key);
      expect([...items].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    });

    test.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, undefined, '1000'])(
      'append without a positive TTL (%p) throws and stores nothing',
      async (ttl) => {
        await expect(store.append(`${base}l`, 'v', ttl as unknown as number)).rejects.toThrow(/TTL/);
        await expect(store.list(`${base}l`)).resolves.toEqual([]);
      },
    );

    test('append of a value JSON cannot hold is a caller error and stores nothing', async () => {
      const failure = await store.append(`${base}bad`, { n: BigInt(1) }, LONG_TTL).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).name).toBe('TypeError');
      await expect(store.list(`${base}bad`)).resolves.toEqual([]);
    });

    test('a key is a value or a list: using it as the other is a TypeError and changes nothing', async () => {
      const value = `${base}is-value`;
      await store.set(value, { v: 1 }, SHORT_TTL);
      for (const misuse of [store.append(value, 'x', LONG_TTL), store.list(value)]) {
        const e = await misuse.catch((err: unknown) => err);
        expect((e as Error).name).toBe('TypeError');
        expect(isBridgeError(e, 'store_unavailable')).toBe(false);
      }
      await expect(store.get(value)).resolves.toEqual({ v: 1 });

      const list = `${base}is-list`;
      await store.append(list, 'a', LONG_TTL);
      const e = await store.get(list).catch((err: unknown) => err);
      expect((e as Error).name).toBe('TypeError');
      await expect(store.claim(list, LONG_TTL)).resolves.toBe(false);
      await expect(store.list(list)).resolves.toEqual(['a']);
      // `set` replaces a list, as it replaces any value.
      await store.set(list, 'now a value', LONG_TTL);
      await expect(store.get(list)).resolves.toBe('now a value');

      // The failed append above left the value's TTL alone: it still expires.
      await sleep(PAST_SHORT_TTL);
      await expect(store.get(value)).resolves.toBeUndefined();
    });

    test('ping is true while open; after close ping is false and calls fail clearly', async () => {
      await expect(store.ping()).resolves.toBe(true);
      const other = await open();
      await other.close();
      await expect(other.ping()).resolves.toBe(false);
      const failure = await other.get(`${base}k`).catch((e: unknown) => e);
      expect(isBridgeError(failure, 'store_unavailable')).toBe(true);
      for (const call of [other.append(`${base}l`, 1, LONG_TTL), other.list(`${base}l`)]) {
        expect(isBridgeError(await call.catch((e: unknown) => e), 'store_unavailable')).toBe(true);
      }
      await expect(other.close()).resolves.toBeUndefined(); // closing twice is harmless
    });

    describeCoordinationConformance({ store: () => store, base: () => base, open, shared: !!options.shared });
    describeInboxConformance({ store: () => store, base: () => base, open, shared: !!options.shared });

    if (!options.shared) return;

    test('two instances see each other’s writes, deletes and claims', async () => {
      const a = store;
      const b = await open();
      await a.set(`${base}shared`, { from: 'a' }, LONG_TTL);
      await expect(b.get(`${base}shared`)).resolves.toEqual({ from: 'a' });
      await expect(b.keys(`${base}sh`)).resolves.toEqual([`${base}shared`]);
      await b.set(`${base}shared`, { from: 'b' }, LONG_TTL);
      await expect(a.get(`${base}shared`)).resolves.toEqual({ from: 'b' });
      await b.delete(`${base}shared`);
      await expect(a.get(`${base}shared`)).resolves.toBeUndefined();

      await expect(a.claim(`${base}mark`, LONG_TTL)).resolves.toBe(true);
      await expect(b.claim(`${base}mark`, LONG_TTL)).resolves.toBe(false);
    });

    test('concurrent claims from two instances: exactly one wins', async () => {
      const b = await open();
      const key = `${base}race-two`;
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store : b).claim(key, LONG_TTL)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    test('state survives a restart (close, then a new instance)', async () => {
      const first = await open();
      await first.set(`${base}session`, { state: 'live' }, LONG_TTL);
      await first.append(`${base}messages`, { text: 'kept' }, LONG_TTL);
      await first.close();
      const second = await open();
      await expect(second.get(`${base}session`)).resolves.toEqual({ state: 'live' });
      await expect(second.list(`${base}messages`)).resolves.toEqual([{ text: 'kept' }]);
    });

    test('two instances append to one list: each sees every item once', async () => {
      const b = await open();
      const key = `${base}shared-list`;
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store : b).append(key, i, LONG_TTL)));
      for (const s of [store, b]) {
        expect([...(await s.list<number>(key))].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      }
      await b.delete(key);
      await expect(store.list(key)).resolves.toEqual([]);
    });
  });
}
