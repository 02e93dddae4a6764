/**
 * The store-health gate in front of every door (bots/http/store-gate.ts, store-health.ts), over
 * real HTTP: writes are refused with 503 and `Retry-After` as soon as the store says its
 * connection is down, or once a ping went unanswered (a Redis that is connected but hangs);
 * reads go through; the gate opens again once the store answers.
 */
import express from 'express';
import type { AddressInfo } from 'node:net';
import { refuseWritesWhileStoreDown } from '../../../bots/http/store-gate';
import { StoreHealth } from '../../../bots/http/store-health';

/** A store as the health check sees it: its connection flag and its PING answer, set by the test. */
const probe = { connected: true, answers: true, pings: 0 };
const health = new StoreHealth({
  reachable: () => probe.connected,
  ping: async () => {
    probe.pings += 1;
    return probe.answers;
  },
});

let url: string;
let close: () => Promise<unknown>;
const reached: string[] = [];

beforeAll(async () => {
  const app = express();
  app.use(refuseWritesWhileStoreDown(health));
  app.all('/door', (req, res) => {
    reached.push(req.method);
    res.status(200).json({ ok: true });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((r) => server.close(r));
});
afterAll(() => close());
beforeEach(() => {
  probe.connected = true;
  probe.answers = true;
  reached.length = 0;
});

const post = () => fetch(`${url}/door`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"hi"}' });

describe('store-health gate', () => {
  it('lets everything through while the store is up', async () => {
    await health.check();
    expect((await post()).status).toBe(200);
    expect(reached).toEqual(['POST']);
  });

  it('refuses writes with 503 and Retry-After the moment the connection is down, without a ping', async () => {
    const pings = probe.pings;
    probe.connected = false;
    const res = await post();
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toEqual({
      error: { code: 'store_unavailable', message: 'The bridge cannot reach its store right now. Try again in a few seconds.' },
    });
    expect(probe.pings).toBe(pings);
    // Reads are not refused: pages need no store, and API reads fail on their own when they do.
    expect((await fetch(`${url}/door`)).status).toBe(200);
    expect(reached).toEqual(['GET']);
  });

  it('refuses writes once a ping goes unanswered while connected (a hung Redis), and opens again after a good one', async () => {
    probe.answers = false;
    expect(await health.check()).toBe(false);
    expect((await post()).status).toBe(503);
    probe.answers = true;
    expect(await health.check()).toBe(true);
    expect((await post()).status).toBe(200);
    expect(reached).toEqual(['POST']);
  });

  it('tells its listeners once each time the store is back after being down', async () => {
    const own = new StoreHealth({ reachable: () => probe.connected, ping: async () => probe.answers });
    let recoveries = 0;
    own.onRecovered(() => (recoveries += 1));
    await own.check();
    expect(recoveries).toBe(0); // up from the start: nothing recovered
    probe.connected = false;
    expect(own.up()).toBe(false);
    probe.connected = true;
    expect(own.up()).toBe(true);
    expect(own.up()).toBe(true);
    expect(recoveries).toBe(1);
    probe.answers = false;
    expect(await own.check()).toBe(false);
    probe.answers = true;
    expect(await own.check()).toBe(true);
    expect(recoveries).toBe(2);
  });

  it('pings on its own every interval once started', async () => {
    const own = new StoreHealth({ ping: async () => false }, { intervalMs: 10 });
    expect(own.up()).toBe(true);
    own.start();
    try {
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (!own.up()) {
            clearInterval(poll);
            resolve();
          }
        }, 5);
      });
      expect(own.up()).toBe(false);
    } finally {
      own.stop();
    }
  });
});
