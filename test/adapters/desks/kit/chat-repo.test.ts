/**
 * The kit's typed chat repository and id lists, on the real memory store and on Redis: records
 * with their TTL by state, a codec and a zod schema, one read-modify-write at a time per chat (in
 * a process, and across processes with the lease), an index that lists and prunes. On Redis, two
 * repositories on two connections stand for two processes: concurrent index updates and
 * concurrent writes of one chat all land.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { createStore, KeyvStore, storeSettingsSchema } from '../../../../adapters/store';
import { ChatRepo } from '../../../../adapters/desks/kit/chat-repo';
import { IdList } from '../../../../adapters/desks/kit/id-list';
import { isBridgeError, ErrorCode } from '../../../../bots/core/errors';
import type { Store } from '../../../../bots/core/ports';
import { describeWithRedis, redisUrl } from '../../../contract/store.redis-env';
import { deferred, FakeClock, RecordingLogger } from '../../../helpers/core-fakes';
import { eventually } from '../../../helpers/eventually';

interface Record {
  status: 'open' | 'ended';
  count: number;
  note?: string;
}

const OPEN_MS = 60 * 60 * 1000;
const ENDED_MS = 5 * 60 * 1000;

const repoOn = (store: Store, extra: { lock?: boolean } = {}) =>
  new ChatRepo<Record>({
    store,
    namespace: 'kit',
    ttlOf: (r) => (r.status === 'ended' ? ENDED_MS : OPEN_MS),
    index: { ttlMs: OPEN_MS * 2 },
    ...(extra.lock ? { lock: { clock: new FakeClock(), logger: new RecordingLogger() } } : {}),
  });

describe('kit ChatRepo (memory store)', () => {
  let store: KeyvStore;
  beforeEach(() => {
    store = KeyvStore.memory(`repo-${randomUUID()}`);
  });
  afterEach(() => store.close());

  it('stores typed records under <namespace>:chat:<id> with the TTL their state deserves; get hands out copies', async () => {
    const repo = repoOn(store);
    const before = Date.now();
    await repo.put('c1', { status: 'open', count: 1 });
    await repo.put('c2', { status: 'ended', count: 2 });
    expect(repo.key('c1')).toBe('kit:chat:c1');
    expect(await store.expiresAt('kit:chat:c1')).toBeGreaterThanOrEqual(before + OPEN_MS);
    expect(await store.expiresAt('kit:chat:c2')).toBeLessThanOrEqual(Date.now() + ENDED_MS);
    const read = (await repo.get('c1'))!;
    read.count = 99;
    expect(await repo.get('c1')).toEqual({ status: 'open', count: 1 });
    expect(await repo.get('nope')).toBeUndefined();
    await repo.delete('c1');
    expect(await repo.get('c1')).toBeUndefined();
  });

  it('a codec stores less and reads it back; a schema makes an unreadable record a typed error', async () => {
    const stored = z.object({ s: z.enum(['open', 'ended']), n: z.number().int() });
    const repo = new ChatRepo<Record & { id: string }, z.infer<typeof stored>>({
      store,
      namespace: 'kit',
      ttlOf: () => OPEN_MS,
      schema: stored,
      codec: {
        toStored: (r) => ({ s: r.status, n: r.count }),
        fromStored: (s, id) => ({ id, status: s.s, count: s.n }),
      },
    });
    await repo.put('c1', { id: 'c1', status: 'open', count: 3, note: 'not stored' });
    expect(await store.get('kit:chat:c1')).toEqual({ s: 'open', n: 3 });
    expect(await repo.get('c1')).toEqual({ id: 'c1', status: 'open', count: 3 });

    await store.set('kit:chat:bad', { s: 'open', n: 'three' }, OPEN_MS);
    const error = await repo.get('bad').catch((e: unknown) => e);
    expect(isBridgeError(error, ErrorCode.StoreUnavailable)).toBe(true);
    expect(error).toMatchObject({ details: { key: 'kit:chat:bad', issues: expect.stringContaining('n:') } });
  });

  it('mutate runs one chat’s read-modify-writes one at a time, so concurrent ones all land', async () => {
    const repo = repoOn(store);
    await repo.put('c1', { status: 'open', count: 0 });
    await Promise.all(
      Array.from({ length: 20 }, () =>
        repo.mutate('c1', async (r) => {
          await new Promise((resolve) => setImmediate(resolve));
          await repo.put('c1', { ...r!, count: r!.count + 1 });
        }),
      ),
    );
    expect((await repo.get('c1'))!.count).toBe(20);
  });

  it('with lock, a second repository on the same store (another process) waits for the lease and sees the first write', async () => {
    const a = repoOn(store, { lock: true });
    const b = repoOn(store, { lock: true });
    await a.put('c1', { status: 'open', count: 0 });
    const gate = deferred();
    const first = a.mutate('c1', async (r) => {
      await gate.promise;
      await a.put('c1', { ...r!, count: r!.count + 1 });
    });
    await eventually(async () => expect(await store.leaseHolder('kit:lock:c1')).toBeDefined());
    let seen: number | undefined;
    const second = b.mutate('c1', async (r) => {
      seen = r!.count;
      await b.put('c1', { ...r!, count: r!.count + 1 });
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toBeUndefined();
    gate.resolve();
    await Promise.all([first, second]);
    expect(seen).toBe(1);
    expect((await a.get('c1'))!.count).toBe(2);
    expect(await store.leaseHolder('kit:lock:c1')).toBeUndefined();
  });

  it('the index lists chats put with listed: false, once each, and drops ids whose record is gone', async () => {
    const repo = repoOn(store);
    await repo.put('c1', { status: 'open', count: 1 }, { listed: false });
    await repo.put('c2', { status: 'open', count: 2 }, { listed: false });
    await repo.put('c1', { status: 'open', count: 3 }, { listed: false });
    await repo.put('c3', { status: 'open', count: 4 }); // not listed
    expect(await repo.index!.ids()).toEqual(['c1', 'c2']);
    expect((await repo.list()).map((r) => r.count)).toEqual([3, 2]);
    await repo.delete('c1');
    expect((await repo.list()).map((r) => r.count)).toEqual([2]);
    expect(await repo.index!.ids()).toEqual(['c2']);
  });

  it('without an index, list is a typed error', async () => {
    const repo = new ChatRepo<Record>({ store, namespace: 'kit', ttlOf: () => OPEN_MS });
    await expect(repo.list()).rejects.toMatchObject({ code: ErrorCode.Unknown });
  });
});

describe('kit IdList', () => {
  it('adds once, tells positions, removes, and takes over a list written with a plain set', async () => {
    const store = KeyvStore.memory(`ids-${randomUUID()}`);
    try {
      await store.set('kit:queue', ['old'], OPEN_MS);
      const queue = new IdList(store, 'kit:queue', OPEN_MS);
      expect(await queue.set('a', true)).toBe(2);
      expect(await queue.add('b')).toBe(3);
      expect(await queue.add('a')).toBe(2);
      expect(await queue.set('old', false)).toBe(0);
      expect(await queue.ids()).toEqual(['a', 'b']);
      await queue.remove('a', 'b', 'never-there');
      expect(await queue.ids()).toEqual([]);
      expect((await store.getVersioned('kit:queue'))!.version).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });
});

describeWithRedis('kit ChatRepo on Redis: two repositories on two connections', () => {
  const namespace = `kit-repo-${randomUUID()}`;
  let one: Store;
  let two: Store;
  beforeAll(async () => {
    one = await createStore(storeSettingsSchema.parse({ redisUrl, namespace }));
    two = await createStore(storeSettingsSchema.parse({ redisUrl, namespace }));
  });
  afterAll(async () => {
    for (const key of await one.keys('')) await one.delete(key);
    await one.close();
    await two.close();
  });

  it('concurrent index updates from both lose nothing', async () => {
    const a = repoOn(one);
    const b = repoOn(two);
    const ids = (prefix: string) => Array.from({ length: 25 }, (_, i) => `${prefix}-${i}`);
    await Promise.all([
      ...ids('a').map((id) => a.put(id, { status: 'open', count: 1 }, { listed: false })),
      ...ids('b').map((id) => b.put(id, { status: 'open', count: 1 }, { listed: false })),
    ]);
    const expected = [...ids('a'), ...ids('b')].sort();
    expect([...(await a.index!.ids())].sort()).toEqual(expected);
    expect((await b.list()).length).toBe(50);
  });

  it('concurrent locked writes of one chat from both land one after the other', async () => {
    const a = repoOn(one, { lock: true });
    const b = repoOn(two, { lock: true });
    await a.put('shared', { status: 'open', count: 0 });
    const bump = (repo: ChatRepo<Record>) =>
      repo.mutate('shared', async (r) => {
        // A read and a later write: without the lease the other connection's write would be lost.
        await new Promise((resolve) => setImmediate(resolve));
        await repo.put('shared', { ...r!, count: r!.count + 1 });
      });
    await Promise.all(Array.from({ length: 10 }, () => [bump(a), bump(b)]).flat());
    expect((await b.get('shared'))!.count).toBe(20);
  });
});
