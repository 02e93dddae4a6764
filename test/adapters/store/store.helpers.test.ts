/**
 * Unit tests for the store adapter's helpers and memory-only behaviour (the shared behaviour is
 * covered by the conformance suite in test/contract/store.test.ts).
 */
import { checkTtl, describeError, redactUrl } from '../../../adapters/store/errors';
import { CLAIMED, KeyvStore, escapeGlob } from '../../../adapters/store/keyv-store';
import { isBridgeError } from '../../../bots/core/errors';

describe('redactUrl', () => {
  test.each([
    ['redis://user:secret@redis.internal:6380/2', 'redis://user@redis.internal:6380/2'],
    ['rediss://:secret@redis.internal:6380', 'rediss://redis.internal:6380'],
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
  ])('%s -> %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  test('an unparseable URL is not echoed (it may hold a secret)', () => {
    expect(redactUrl('not a url :secret')).toBe('<invalid Redis URL>');
  });
});

describe('describeError', () => {
  test('uses the message, then inner errors, then the code, then the class name', () => {
    expect(describeError(new Error('connect ECONNREFUSED 127.0.0.1:1'))).toBe('connect ECONNREFUSED 127.0.0.1:1');
    expect(describeError(new AggregateError([new Error('a'), new Error('b')], ''))).toBe('a; b');
    expect(describeError(Object.assign(new Error(''), { code: 'ETIMEDOUT' }))).toBe('ETIMEDOUT');
    class TimeoutError extends Error {}
    expect(describeError(new TimeoutError())).toBe('TimeoutError');
    expect(describeError('plain string')).toBe('plain string');
  });
});

describe('checkTtl', () => {
  test('accepts positive finite TTLs, rounding up to whole milliseconds', () => {
    expect(checkTtl('set', 'k', 1000)).toBe(1000);
    expect(checkTtl('set', 'k', 0.2)).toBe(1);
  });

  test('rejects the rest with a RangeError naming the method and key', () => {
    expect(() => checkTtl('claim', 'dedupe:1', 0)).toThrow(RangeError);
    expect(() => checkTtl('claim', 'dedupe:1', 0)).toThrow('Store.claim("dedupe:1") needs a TTL');
  });
});

describe('escapeGlob', () => {
  test('escapes the characters Redis MATCH treats specially', () => {
    expect(escapeGlob('a*b?c[d]e\\f')).toBe('a\\*b\\?c\\[d\\]e\\\\f');
    expect(escapeGlob('plain:key with space')).toBe('plain:key with space');
  });
});

describe.each(['map', 'keyv'] as const)('KeyvStore.memory (%s engine)', (engine) => {
  test('a claimed key reads as CLAIMED', async () => {
    const store = KeyvStore.memory('unit', { engine });
    await store.claim('mark', 1000);
    await expect(store.get('mark')).resolves.toBe(CLAIMED);
    await store.close();
  });

  test('a value JSON cannot hold is a caller error, not store_unavailable', async () => {
    const store = KeyvStore.memory('unit', { engine });
    const error = await store.set('k', { n: BigInt(1) }, 1000).catch((e: unknown) => e);
    expect((error as Error).name).toBe('TypeError');
    expect(isBridgeError(error)).toBe(false);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    await expect(store.set('k', cycle, 1000)).rejects.toThrow(/circular/i);
    await store.close();
  });

  test('TTLs and leases run on the injected clock', async () => {
    let now = 1_000_000;
    const store = KeyvStore.memory('unit', { engine, now: () => now });
    await store.set('k', 'v', 100);
    await store.append('l', 'item', 100);
    await store.acquireLease('lease', 'a', 100);
    now += 99;
    await expect(store.get('k')).resolves.toBe('v');
    await expect(store.list('l')).resolves.toEqual(['item']);
    await expect(store.leaseHolder('lease')).resolves.toMatchObject({ owner: 'a' });
    await expect(store.expiresAt('k')).resolves.toBe(1_000_100);
    now += 1;
    await expect(store.get('k')).resolves.toBeUndefined();
    await expect(store.list('l')).resolves.toEqual([]);
    await expect(store.leaseHolder('lease')).resolves.toBeUndefined();
    await expect(store.acquireLease('lease', 'b', 100)).resolves.toMatchObject({ owner: 'b' });
    await store.close();
  });

  test('expired entries are swept even if never read again', async () => {
    const store = KeyvStore.memory('unit', { engine, sweepIntervalMs: 50 });
    // The engine's stored keys, expired ones included: the only way to see that nothing is left behind.
    const stored = () => store.memoryEngine!.storedKeys();
    await store.claim('dedupe:1', 20);
    await store.set('kept', 1, 60_000);
    expect((await stored()).length).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([...(await stored())]).toEqual(['kept']);
    await store.close();
  });

  test('keys with the namespace as prefix do not collide (keyv prefixing would merge them)', async () => {
    const store = KeyvStore.memory('lab', { engine });
    await store.set('lab:x', 'with prefix', 1000);
    await store.set('x', 'without', 1000);
    await expect(store.get('lab:x')).resolves.toBe('with prefix');
    await expect(store.get('x')).resolves.toBe('without');
    await store.close();
  });
});
