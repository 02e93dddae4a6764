/** GET /metrics: Prometheus text after real traffic; token-protected, or loopback-only without a token. */
import express from 'express';
import type { AddressInfo } from 'node:net';
import { MetricsRegistry, mountMetrics } from '../../bots/http/metrics';
import { startBridgeHarness } from '../helpers/bridge-harness';

describe('metrics', () => {
  it('counts and times requests per API, in valid exposition format', async () => {
    const h = await startBridgeHarness();
    try {
      const user = h.teamsUser();
      await user.say('hello');
      await h.beth.chats();
      await fetch(`${h.url}/console/api/chats`); // 401: counted as 4xx
      const res = await fetch(`${h.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      expect(text).toMatch(/^lab_http_requests_total\{api="teams",status="2xx"\} 1$/m);
      expect(text).toMatch(/^lab_http_requests_total\{api="console",status="2xx"\} 1$/m);
      expect(text).toMatch(/^lab_http_requests_total\{api="console",status="4xx"\} 1$/m);
      expect(text).toMatch(/^lab_http_request_duration_seconds_bucket\{api="teams",le="\+Inf"\} 1$/m);
      expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
      // Every sample line belongs to a family announced with HELP and TYPE.
      const families = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
      for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) {
        const name = line.split(/[{ ]/)[0].replace(/_(bucket|sum|count)$/, '');
        expect(families.has(name) || families.has(line.split(/[{ ]/)[0])).toBe(true);
      }
    } finally {
      await h.close();
    }
  });

  it('requires the token when one is set', async () => {
    const app = express();
    mountMetrics(app, { registry: new MetricsRegistry(), token: 'metrics-token-0123456789' });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    try {
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-0123456789!' } })).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: 'Bearer metrics-token-0123456789' } })).status).toBe(200);
    } finally {
      server.close();
    }
  });
});
