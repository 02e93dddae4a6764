/**
 * The outbound socket pools: a burst's sockets stay open for the next burst (Node's default pool
 * would close all but 256 of them), and only a reset on a reused socket counts as stale.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isStaleSocketFailure, keepAliveAgents } from '../../../bots/http/keep-alive';

describe('keepAliveAgents', () => {
  it('keeps every socket of a burst larger than 256 open, and reuses them for the next burst', async () => {
    let connections = 0;
    const server = http.createServer((_req, res) => setTimeout(() => res.end('ok'), 20));
    server.on('connection', () => connections++);
    server.maxConnections = 1000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const agents = keepAliveAgents({ maxSocketsPerHost: 300, idleSocketTimeoutMs: 10_000 });
    const burst = () =>
      Promise.all(
        Array.from(
          { length: 300 },
          () =>
            new Promise<void>((resolve, reject) => {
              http.get(url, { agent: agents['http:'] }, (res) => res.resume().on('end', resolve)).on('error', reject);
            }),
        ),
      );
    try {
      await burst();
      await new Promise((r) => setImmediate(r));
      const free = Object.values(agents['http:'].freeSockets).reduce((n, list) => n + (list?.length ?? 0), 0);
      expect(free).toBe(300);
      await burst();
      expect(connections).toBe(300);
    } finally {
      agents['http:'].destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('isStaleSocketFailure', () => {
  const request = (reusedSocket: boolean) => ({ reusedSocket }) as http.ClientRequest;
  const error = (code: string) => Object.assign(new Error(code), { code });

  it('is a reset or broken pipe on a reused socket before any response, and nothing else', () => {
    expect(isStaleSocketFailure(request(true), error('ECONNRESET'), false)).toBe(true);
    expect(isStaleSocketFailure(request(true), error('EPIPE'), false)).toBe(true);
    expect(isStaleSocketFailure(request(false), error('ECONNRESET'), false)).toBe(false);
    expect(isStaleSocketFailure(request(true), error('ECONNRESET'), true)).toBe(false);
    expect(isStaleSocketFailure(request(true), error('ETIMEDOUT'), false)).toBe(false);
  });
});
