/** Liveness and readiness for orchestrators: `/healthz` says the process is up, `/readyz` that it can work. */
import type express from 'express';
import type { Store } from '../core/ports';

export function mountHealth(app: express.Express, deps: { store: Pick<Store, 'ping'>; isStopping: () => boolean }): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (deps.isStopping()) {
      res.status(503).json({ status: 'stopping' });
      return;
    }
    const storeOk = await deps.store.ping();
    res.status(storeOk ? 200 : 503).json({ status: storeOk ? 'ready' : 'not ready', store: storeOk ? 'ok' : 'unreachable' });
  });
}
