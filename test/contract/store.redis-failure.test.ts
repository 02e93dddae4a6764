/**
 * How the Redis store behaves when Redis is not there, goes away, hangs, or comes back.
 * Outages are simulated with a TCP proxy in front of the real Redis, so the shared server is
 * never stopped. The point of each test: a clear `store_unavailable` or `false`, quickly, never
 * a hang and never a silent "not found".
 */
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { createStore } from '../../adapters/store';
import type { Store } from '../../bots/core/ports';
import { isBridgeError } from '../../bots/core/errors';
import { TcpProxy } from './store.proxy';
import { describeWithRedis, redisUrl } from './store.redis-env';

const namespace = `bridge-test-${randomUUID().slice(0, 8)}`;
// Short limits so failures show within a test's time; the defaults are a few seconds.
const redisTimeouts = { connectTimeoutMs: 500, commandTimeoutMs: 500, pingTimeoutMs: 300 };

/** Settles `promise`, and how long it took; a hang fails the test via jest's timeout. */
async function timed<T>(promise: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const start = Date.now();
  try {
    const value = await promise;
    return { ms: Date.now() - start, value };
  } catch (error) {
    return { ms: Date.now() - start, error };
  }
}

function expectStoreUnavailable(error: unknown): void {
  expect(isBridgeError(error, 'store_unavailable')).toBe(true);
}

async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<void> {
  const until = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('Redis store start-up failures', () => {
  test('an unreachable Redis makes createStore reject with store_unavailable, without the password', async () => {
    const { ms, error } = await timed(
      createStore({ redisUrl: 'redis://bridge:s3cret-pass@127.0.0.1:1', namespace }, undefined, { redisTimeouts }),
    );
    expect(ms).toBeLessThan(3000);
    expectStoreUnavailable(error);
    const message = (error as Error).message;
    expect(message).toMatch(/^Cannot reach Redis at redis:\/\/bridge@127\.0\.0\.1:1: .*ECONNREFUSED/);
    expect(message).not.toContain('s3cret-pass');
  });

  test('a peer that accepts connections but never answers makes createStore reject in time', async () => {
    const accepted = new Set<net.Socket>();
    const silent = net.createServer((socket) => accepted.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const { ms, error } = await timed(createStore({ redisUrl: `redis://127.0.0.1:${port}`, namespace }, undefined, { redisTimeouts }));
      expect(ms).toBeLessThan(3000);
      expectStoreUnavailable(error);
      expect((error as Error).message).toMatch(/^Cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: /);
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describeWithRedis('Redis store when Redis goes away', () => {
  const target = new URL(redisUrl);
  let proxy: TcpProxy;
  let store: Store;
  const key = `outage-${randomUUID()}`;

  beforeEach(async () => {
    proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    const port = await proxy.start();
    const viaProxy = new URL(redisUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(port);
    store = await createStore({ redisUrl: viaProxy.toString(), namespace }, undefined, { redisTimeouts });
    await store.set(key, { ok: true }, 60_000);
  });

  afterEach(async () => {
    await store.close();
    await proxy.stop();
    const cleanup = await createStore({ redisUrl, namespace });
    await cleanup.delete(key);
    await cleanup.close();
  });

  test('Redis down: ping is false and every call fails fast with store_unavailable', async () => {
    await expect(store.ping()).resolves.toBe(true);
    await proxy.stop();

    const ping = await timed(store.ping());
    expect(ping).toEqual({ ms: expect.any(Number), value: false });
    expect(ping.ms).toBeLessThan(2000);

    // Not `undefined` (keyv's default would make an outage look like a missing key), not a hang.
    for (const call of [
      store.get(key),
      store.set(key, { ok: false }, 60_000),
      store.delete(key),
      store.claim(`${key}:claim`, 60_000),
      store.keys(key),
    ]) {
      const { ms, error } = await timed(call);
      expect(ms).toBeLessThan(2000);
      expectStoreUnavailable(error);
    }
  });

  test('Redis back: the store reconnects on its own and the data is still there', async () => {
    await proxy.stop();
    await expect(store.ping()).resolves.toBe(false);
    await proxy.start(); // same port
    await eventually(() => store.ping(), 10_000);
    await expect(store.get(key)).resolves.toEqual({ ok: true });
  });

  test('pub/sub: the subscriber connection subscribes again when Redis comes back', async () => {
    const channel = `${key}:channel`;
    const received: number[] = [];
    await store.subscribe<number>(channel, (n) => void received.push(n));
    const direct = await createStore({ redisUrl, namespace });
    try {
      await direct.publish(channel, 1);
      await eventually(async () => received.includes(1), 5000);
      await proxy.stop(); // cuts both connections, the subscriber's too
      await expect(store.publish(channel, 0)).rejects.toThrow(/Store publish failed/);
      await proxy.start();
      // Published until the reconnected subscriber hears one: what was sent while it was away is lost.
      await eventually(async () => {
        await direct.publish(channel, 2);
        return received.includes(2);
      }, 10_000);
    } finally {
      await direct.close();
    }
  });

  test('Redis hangs: calls time out with store_unavailable and ping turns false', async () => {
    proxy.freeze();
    const ping = await timed(store.ping());
    expect(ping.value).toBe(false);
    expect(ping.ms).toBeLessThan(2000);

    const { ms, error } = await timed(store.get(key));
    expectStoreUnavailable(error);
    expect(ms).toBeGreaterThanOrEqual(400); // it waited for the command timeout…
    expect(ms).toBeLessThan(3000); // …and no longer
  });

  test('close does not hang when Redis stopped answering', async () => {
    proxy.freeze();
    const pending = store.get(key).catch((e: unknown) => e);
    const { ms } = await timed(store.close());
    expect(ms).toBeLessThan(3000);
    expectStoreUnavailable(await pending);
  });
});
