/**
 * BotConnector on the wire, against plain node:http servers that misbehave on purpose: what is
 * retried (and what must not be, because Teams may already show it), tokens, keep-alive.
 * TeamsSurface's tests cover the same client through the fake Bot Connector.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { BotConnector, ConnectorCallError } from '../../../bots/teams/connector';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  socket: Socket;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, seen: Seen, n: number) => void;

async function startServer(handler: Handler) {
  const seen: Seen[] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, socket: req.socket };
      seen.push(entry);
      handler(req, res, entry, seen.length);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/amer/`;
  return {
    url,
    seen,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const ok = (res: http.ServerResponse, id = 'a-1') => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ id }));
};

const connector = (overrides: Partial<ConstructorParameters<typeof BotConnector>[0]> = {}) =>
  new BotConnector({ token: async () => undefined, backoffMs: 10, ...overrides });

const conversationId = 'a:1Xy/z+with?odd#chars';

describe('BotConnector', () => {
  const servers: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const serve = async (handler: Handler) => {
    const s = await startServer(handler);
    servers.push(s);
    return s;
  };

  it('posts the activity as JSON to the conversation, with the token, and returns the id Teams gave it', async () => {
    const s = await serve((_req, res) => ok(res, '1:assigned'));
    const c = connector({ token: async (serviceUrl) => `token-for ${serviceUrl}` });
    const id = await c.send({ serviceUrl: s.url, conversationId }, { type: 'message', text: 'héllo 👋' });
    expect(id).toBe('1:assigned');
    const [request] = s.seen;
    expect(request.method).toBe('POST');
    expect(request.url).toBe(`/amer/v3/conversations/${encodeURIComponent(conversationId)}/activities`);
    expect(request.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(request.headers.authorization).toBe(`Bearer token-for ${s.url}`);
    expect(JSON.parse(request.body)).toEqual({ type: 'message', text: 'héllo 👋' });
  });

  it('sends no Authorization header when there is no token (auth off)', async () => {
    const s = await serve((_req, res) => ok(res));
    await connector().send({ serviceUrl: s.url, conversationId: 'c' }, { type: 'typing' });
    expect(s.seen[0].headers.authorization).toBeUndefined();
  });

  it('updates with a PUT to the activity', async () => {
    const s = await serve((_req, res) => ok(res));
    await connector().update({ serviceUrl: s.url.slice(0, -1), conversationId: 'c' }, '1:abc', { type: 'message', id: '1:abc' });
    expect(s.seen[0]).toMatchObject({ method: 'PUT', url: '/amer/v3/conversations/c/activities/1%3Aabc' });
  });

  it('keeps one socket open across sequential calls', async () => {
    const s = await serve((_req, res) => ok(res));
    const c = connector();
    for (let i = 0; i < 20; i++) await c.send({ serviceUrl: s.url, conversationId: 'c' }, { text: String(i) });
    expect(s.seen).toHaveLength(20);
    expect(s.connections()).toBe(1);
  });

  it('retries once on a fresh socket when a kept-alive socket was closed under it', async () => {
    // The second request arrives on the socket the first one used; the server drops it without
    // answering, as a server closing an idle socket at that moment would.
    const s = await serve((_req, res, seen, n) => {
      if (n === 2) {
        seen.socket.destroy();
        return;
      }
      ok(res, `id-${n}`);
    });
    const c = connector();
    await c.send({ serviceUrl: s.url, conversationId: 'c' }, { text: 'first' });
    const id = await c.send({ serviceUrl: s.url, conversationId: 'c' }, { text: 'second' });
    expect(id).toBe('id-3');
    expect(s.seen.map((r) => JSON.parse(r.body).text)).toEqual(['first', 'second', 'second']);
    expect(s.connections()).toBe(2);
  });

  it('does not repeat a create whose outcome is unknown (timed out after it was sent)', async () => {
    const s = await serve(() => undefined); // never answers
    const err = await connector({ timeoutMs: 200 })
      .send({ serviceUrl: s.url, conversationId: 'c' }, { text: 'maybe shown' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorCallError);
    expect(err).toMatchObject({ status: undefined });
    expect((err as Error).message).toMatch(/no response.*timed out/);
    expect(s.seen).toHaveLength(1);
  });

  it('retries a create that never left (connection refused), within its retries', async () => {
    const s = await serve((_req, res) => ok(res));
    const deadUrl = s.url;
    await s.close();
    servers.length = 0;
    const sleeps: number[] = [];
    const err = await connector({ retries: 2, sleep: async (ms) => void sleeps.push(ms) })
      .send({ serviceUrl: deadUrl, conversationId: 'c' }, { text: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorCallError);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(sleeps).toHaveLength(2); // three attempts in all
  });

  it('honours Retry-After and gives up when it would exceed the budget', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(429, { 'retry-after': '120' });
      res.end('{"error":{"code":"TooManyRequests"}}');
    });
    const sleeps: number[] = [];
    const err = await connector({ budgetMs: 30_000, sleep: async (ms) => void sleeps.push(ms) })
      .send({ serviceUrl: s.url, conversationId: 'c' }, { text: 'x' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 429, message: 'HTTP 429 (TooManyRequests)' });
    expect(sleeps).toEqual([]);
    expect(s.seen).toHaveLength(1);
  });

  it('backs off exponentially (jittered) when Teams gives no Retry-After', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    const sleeps: number[] = [];
    await connector({ backoffMs: 400, sleep: async (ms) => void sleeps.push(ms) })
      .send({ serviceUrl: s.url, conversationId: 'c' }, { text: 'x' })
      .catch(() => undefined);
    expect(s.seen).toHaveLength(4);
    expect(sleeps).toHaveLength(3);
    [400, 800, 1600].forEach((full, i) => {
      expect(sleeps[i]).toBeGreaterThanOrEqual(full / 2);
      expect(sleeps[i]).toBeLessThanOrEqual(full);
    });
  });

  it('gives a 4xx back at once, with what Teams said', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"BotNotInConversationRoster","message":"The bot is not part of the conversation roster."}}');
    });
    const err = (await connector()
      .send({ serviceUrl: s.url, conversationId: 'c' }, { text: 'x' })
      .catch((e: unknown) => e)) as ConnectorCallError;
    expect(err.status).toBe(403);
    expect(err.message).toBe('HTTP 403 (BotNotInConversationRoster)');
    expect(err.body).toContain('roster');
    expect(s.seen).toHaveLength(1);
  });

  it('asks for the token again on each attempt (a refreshed token is picked up)', async () => {
    const s = await serve((_req, res, _seen, n) => {
      if (n === 1) {
        res.writeHead(429, { 'retry-after': '0' });
        res.end();
        return;
      }
      ok(res);
    });
    let issued = 0;
    await connector({ token: async () => `t${++issued}` }).send({ serviceUrl: s.url, conversationId: 'c' }, { text: 'x' });
    expect(s.seen.map((r) => r.headers.authorization)).toEqual(['Bearer t1', 'Bearer t2']);
  });
});
