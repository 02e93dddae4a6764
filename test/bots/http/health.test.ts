/** /healthz says the process is up; /readyz says it can work: 503 when the store does not answer or while stopping. */
import express from 'express';
import type { AddressInfo } from 'node:net';
import { mountHealth } from '../../../bots/http/health';
import type { Store } from '../../../bots/core/ports';

async function serve(storeOk: boolean, stopping: boolean) {
  const app = express();
  mountHealth(app, { store: { ping: async () => storeOk } as unknown as Store, isStopping: () => stopping });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise((r) => server.close(r)) };
}

describe('health and readiness', () => {
  it.each([
    [true, false, 200, 'ready'],
    [false, false, 503, 'not ready'],
    [true, true, 503, 'stopping'],
  ])('store answers %s, stopping %s → /readyz %i', async (storeOk, stopping, status, word) => {
    const s = await serve(storeOk, stopping);
    try {
      const res = await fetch(`${s.url}/readyz`);
      expect(res.status).toBe(status);
      expect(((await res.json()) as { status: string }).status).toBe(word);
      // Liveness does not depend on the store: a restart would not bring Redis back.
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
