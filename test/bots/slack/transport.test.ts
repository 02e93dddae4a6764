/**
 * The Slack Web API transport (bots/slack/transport.ts) over real HTTP against local node:http
 * servers, and behind the real WebClient against the fake Slack Web API. No module mocks.
 */
import { webApi } from '@slack/bolt';
import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import zlib from 'node:zlib';
import { slackClientOptions } from '../../../bots/slack/client';
import { createSlackTransport, slackTransport, type SlackTransport } from '../../../bots/slack/transport';
import { RecordingLogger } from '../../helpers/core-fakes';
import { DEFAULT_SCOPES, startFakeSlack } from '../../helpers/fake-slack';

interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  socket: Socket;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, received: Received, index: number) => void;

interface TestServer {
  url: string;
  received: Received[];
  /** TCP connections the server accepted. */
  connections(): number;
  /** Resolves once `count` requests have arrived whole. */
  requestsArrived(count: number): Promise<void>;
  close(): Promise<void>;
}

async function startServer(handler: Handler): Promise<TestServer> {
  const received: Received[] = [];
  const waiting: { count: number; resolve: () => void }[] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        socket: req.socket,
      };
      received.push(r);
      for (const w of waiting.filter((w) => received.length >= w.count)) w.resolve();
      handler(req, res, r, received.length - 1);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    connections: () => connections,
    requestsArrived: (count) => (received.length >= count ? Promise.resolve() : new Promise((resolve) => waiting.push({ count, resolve }))),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
};

/** Let pending socket bookkeeping (a freed keep-alive socket returning to the pool) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

const POST = { method: 'POST', redirect: 'error' } as const;

/** Expect the call to fail as fetch's network errors do; gives the cause. */
async function fetchFailedCause(call: Promise<unknown>): Promise<any> {
  const error = await call.then(
    () => new Error('the call succeeded'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TypeError);
  expect((error as Error).message).toBe('fetch failed');
  return (error as Error).cause;
}

describe('Slack transport (node:http, keep-alive)', () => {
  let transport: SlackTransport;
  let server: TestServer | undefined;

  beforeEach(() => {
    transport = createSlackTransport();
  });
  afterEach(async () => {
    transport.destroy();
    await server?.close();
    server = undefined;
  });

  it('returns status, status text, url, headers and body', async () => {
    server = await startServer((_req, res) => {
      res.setHeader('X-Custom', 'yes');
      res.setHeader('X-Multi', ['one', 'two']);
      json(res, 201, { ok: true, n: 1 });
    });
    const res = await transport(`${server.url}/api/chat.postMessage#frag`, { ...POST, body: 'a=1' });
    expect(res.status).toBe(201);
    expect(res.statusText).toBe('Created');
    expect(res.ok).toBe(true);
    expect(res.url).toBe(`${server.url}/api/chat.postMessage`);
    expect(res.headers.get('X-CUSTOM')).toBe('yes');
    expect(res.headers.get('x-multi')).toBe('one, two');
    expect(res.headers.has('Content-Type')).toBe(true);
    expect(res.headers.get('x-absent')).toBeNull();
    const entries = [...res.headers.entries()];
    expect(entries.map(([name]) => name)).toEqual([...entries.map(([name]) => name)].sort());
    expect(Object.fromEntries(res.headers.entries())).toMatchObject({
      'x-custom': 'yes',
      'content-type': 'application/json; charset=utf-8',
    });
    expect(Object.fromEntries(res.headers)).toEqual(Object.fromEntries(res.headers.entries()));
    const seen: string[] = [];
    res.headers.forEach((value, name) => {
      seen.push(`${name}=${value}`);
    });
    expect(seen).toContain('x-custom=yes');
    expect(await res.json()).toEqual({ ok: true, n: 1 });
  });

  it('says ok: false for a non-2xx status, with the body still readable', async () => {
    server = await startServer((_req, res) => json(res, 503, { ok: false, error: 'service_unavailable' }));
    const res = await transport(`${server.url}/api/x`, { ...POST, body: '' });
    expect(res.ok).toBe(false);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('{"ok":false,"error":"service_unavailable"}');
  });

  it('delivers a URL-encoded body and the headers intact, given as an object, Headers or pairs', async () => {
    server = await startServer((_req, res) => json(res, 200, { ok: true }));
    const form = 'channel=D0ANA&text=h%C3%A9llo%20%26%20more&blocks=%5B%5D';
    await transport(`${server.url}/api/chat.postMessage?x=1`, {
      ...POST,
      body: form,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: 'Bearer xoxb-1', 'User-Agent': 'test-agent' },
    });
    await transport(`${server.url}/api/json`, { ...POST, body: '{"a":"é"}', headers: new Headers({ 'content-type': 'application/json' }) });
    await transport(`${server.url}/api/pairs`, {
      ...POST,
      body: 'x=1',
      headers: [
        ['X-Pair', 'a'],
        ['x-pair', 'b'],
      ],
    });
    await transport(new URL(`${server.url}/api/get`), { method: 'GET', redirect: 'error' });

    const [formCall, jsonCall, pairsCall, getCall] = server.received;
    expect(formCall).toMatchObject({ method: 'POST', path: '/api/chat.postMessage?x=1', body: form });
    expect(formCall.headers).toMatchObject({
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Bearer xoxb-1',
      'user-agent': 'test-agent',
      'content-length': String(Buffer.byteLength(form)),
      connection: 'keep-alive',
    });
    expect(formCall.headers['accept-encoding']).toBeUndefined();
    expect(jsonCall.body).toBe('{"a":"é"}');
    expect(jsonCall.headers).toMatchObject({
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength('{"a":"é"}')),
    });
    expect(pairsCall.headers['x-pair']).toBe('a, b');
    expect(getCall).toMatchObject({ method: 'GET', path: '/api/get', body: '' });
  });

  it('lets the body be read once, like fetch', async () => {
    server = await startServer((_req, res) => json(res, 200, { ok: true }));
    const res = await transport(`${server.url}/api/x`, { ...POST, body: 'a=1' });
    expect(res.bodyUsed).toBe(false);
    expect(await res.text()).toBe('{"ok":true}');
    expect(res.bodyUsed).toBe(true);
    await expect(res.text()).rejects.toThrow(TypeError);
    await expect(res.json()).rejects.toThrow(/body used already/);
    await expect(res.arrayBuffer()).rejects.toThrow(/body used already/);
  });

  it('gives the body as an ArrayBuffer of exactly its bytes', async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.from([1, 2, 3, 250]));
    });
    const res = await transport(`${server.url}/api/bytes`, { ...POST, body: '' });
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([1, 2, 3, 250]);
  });

  it('rejects at once with the reason when the signal is already aborted, sending nothing', async () => {
    server = await startServer((_req, res) => json(res, 200, { ok: true }));
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await expect(transport(`${server.url}/api/x`, { ...POST, body: 'a=1', signal: controller.signal })).rejects.toBe(reason);
    const aborted = new AbortController();
    aborted.abort();
    await expect(transport(`${server.url}/api/x`, { ...POST, body: 'a=1', signal: aborted.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    // A later request arrives; the aborted ones never did.
    await transport(`${server.url}/api/after`, { ...POST, body: '' });
    expect(server.received.map((r) => r.path)).toEqual(['/api/after']);
  });

  it('aborts a request in flight: rejects with the reason and closes the connection', async () => {
    server = await startServer(() => {
      /* never answers */
    });
    const controller = new AbortController();
    const call = transport(`${server.url}/api/slow`, { ...POST, body: 'a=1', signal: controller.signal });
    await server.requestsArrived(1);
    const serverSocketClosed = new Promise((resolve) => server!.received[0].socket.once('close', resolve));
    const reason = new DOMException('The operation timed out.', 'TimeoutError');
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    await serverSocketClosed;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('removes its abort listener once the response is in', async () => {
    server = await startServer((_req, res) => json(res, 200, { ok: true }));
    const controller = new AbortController();
    const res = await transport(`${server.url}/api/x`, { ...POST, body: 'a=1', signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    controller.abort();
    expect(await res.json()).toEqual({ ok: true });
  });

  it('rejects a redirect when redirect is "error", without following it', async () => {
    server = await startServer((req, res) => {
      if (req.url === '/api/moved') {
        res.writeHead(302, { location: '/api/elsewhere' });
        return res.end();
      }
      json(res, 200, { ok: true });
    });
    const cause = await fetchFailedCause(transport(`${server.url}/api/moved`, { ...POST, body: 'a=1' }));
    expect(cause.message).toMatch(/redirect.*302/);
    expect(server.received.map((r) => r.path)).toEqual(['/api/moved']);
  });

  it('decompresses a gzip, deflate or brotli response though it never asks for one', async () => {
    const payload = JSON.stringify({ ok: true, text: 'x'.repeat(2000) });
    const encoded: Record<string, Buffer> = {
      gzip: zlib.gzipSync(payload),
      deflate: zlib.deflateSync(payload),
      br: zlib.brotliCompressSync(payload),
    };
    server = await startServer((req, res) => {
      const encoding = req.url!.slice('/api/'.length);
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding });
      res.end(encoded[encoding]);
    });
    for (const encoding of Object.keys(encoded)) {
      const res = await transport(`${server.url}/api/${encoding}`, { ...POST, body: '' });
      expect(await res.text()).toBe(payload);
    }
  });

  it('refuses a response body over the cap, declared or streamed', async () => {
    const capped = createSlackTransport({ maxResponseBytes: 1000 });
    server = await startServer((req, res) => {
      const big = 'y'.repeat(5000);
      if (req.url === '/api/declared') return json(res, 200, { big });
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no length to check up front
      res.write('{"big":"');
      res.end(`${big}"}`);
    });
    try {
      for (const path of ['/api/declared', '/api/streamed']) {
        const cause = await fetchFailedCause(capped(`${server.url}${path}`, { ...POST, body: '' }));
        expect(cause.message).toBe('response body exceeds 1000 bytes');
      }
    } finally {
      capped.destroy();
    }
  });

  it('hands a FormData body (file uploads) to the global fetch', async () => {
    server = await startServer((_req, res) => json(res, 200, { ok: true }));
    const form = new FormData();
    form.append('channel_id', 'C1');
    form.append('file', new Blob(['file bytes here']), 'notes.txt');
    const res = await transport(`${server.url}/upload/abc`, { ...POST, body: form });
    expect(res.status).toBe(200);
    const [upload] = server.received;
    expect(upload.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(upload.body).toContain('file bytes here');
    expect(upload.body).toContain('filename="notes.txt"');
  });

  it('reuses one keep-alive connection for sequential requests', async () => {
    server = await startServer((_req, res, _r, index) => json(res, 200, { ok: true, index }));
    for (let i = 0; i < 50; i++) {
      const res = await transport(`${server.url}/api/chat.postMessage`, { ...POST, body: `n=${i}` });
      expect(await res.json()).toEqual({ ok: true, index: i });
    }
    expect(server.received).toHaveLength(50);
    expect(server.connections()).toBe(1);
  });

  it('retries once on a new connection when a reused keep-alive socket turns out closed', async () => {
    // The server drops the connection as the 2nd request arrives on it, without answering: what
    // a server closing an idle socket at that very moment looks like to the client.
    server = await startServer((req, res, _r, index) => {
      if (index === 1) return req.socket.destroy();
      json(res, 200, { ok: true, index });
    });
    const first = await transport(`${server.url}/api/a`, { ...POST, body: 'n=1' });
    expect(await first.json()).toEqual({ ok: true, index: 0 });
    await settle();

    const second = await transport(`${server.url}/api/b`, { ...POST, body: 'n=2' });
    expect(await second.json()).toEqual({ ok: true, index: 2 });
    expect(server.received.map((r) => r.body)).toEqual(['n=1', 'n=2', 'n=2']);
    // The 2nd went out on the reused socket, the retry on a new connection.
    expect(server.received[1].socket).toBe(server.received[0].socket);
    expect(server.received[2].socket).not.toBe(server.received[1].socket);
    expect(server.connections()).toBe(2);
  });

  it('does not retry a connection failure on a new socket: rejects like fetch', async () => {
    server = await startServer((req) => req.socket.destroy());
    const cause = await fetchFailedCause(transport(`${server.url}/api/a`, { ...POST, body: 'n=1' }));
    expect(cause.code).toBe('ECONNRESET');
    expect(server.received).toHaveLength(1);
  });

  it('rejects like fetch when nothing listens', async () => {
    const closed = await startServer(() => undefined);
    await closed.close();
    const cause = await fetchFailedCause(transport(`${closed.url}/api/a`, { ...POST, body: '' }));
    expect(cause.code).toBe('ECONNREFUSED');
  });
});

describe('Slack transport behind the real WebClient', () => {
  const TOKEN = 'xoxb-transport-test';
  const realFetch = globalThis.fetch;

  /** Fail loudly if a Web API call slips past the transport to the global fetch. */
  function forbidGlobalFetch() {
    globalThis.fetch = (() => Promise.reject(new Error('the global fetch was used'))) as typeof fetch;
  }
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  async function clientAndSlack() {
    const slack = await startFakeSlack({ botToken: TOKEN });
    const options = slackClientOptions({ apiUrl: slack.apiUrl }, new RecordingLogger());
    expect(options.fetch).toBe(slackTransport);
    return { slack, client: new webApi.WebClient(TOKEN, options) };
  }

  it('posts a message and returns the result with the scopes from the headers', async () => {
    const { slack, client } = await clientAndSlack();
    try {
      forbidGlobalFetch();
      const result = await client.chat.postMessage({
        channel: 'D0ANA',
        text: 'hello & welcome',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }],
      });
      expect(result).toMatchObject({ ok: true, channel: 'D0ANA', ts: slack.messages[0].ts });
      expect(result.response_metadata?.scopes).toEqual(DEFAULT_SCOPES);
      expect(slack.messages[0]).toMatchObject({ text: 'hello & welcome', blocks: [{ type: 'section' }] });
      expect(slack.callsOf('chat.postMessage')[0].token).toBe(TOKEN);
    } finally {
      await slack.close();
    }
  });

  it('surfaces a 429 as WebAPIRateLimitedError with its Retry-After', async () => {
    const { slack, client } = await clientAndSlack();
    try {
      forbidGlobalFetch();
      slack.failNext('chat.postMessage', 1, { status: 429, retryAfter: 7 });
      const error = await client.chat.postMessage({ channel: 'D0ANA', text: 'hi' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(webApi.WebAPIRateLimitedError);
      expect((error as webApi.WebAPIRateLimitedError).retryAfter).toBe(7);
    } finally {
      await slack.close();
    }
  });

  it('surfaces { ok: false } as WebAPIPlatformError with the Slack error', async () => {
    const { slack, client } = await clientAndSlack();
    try {
      forbidGlobalFetch();
      slack.failNext('chat.postMessage', 1, { error: 'channel_not_found' });
      const error = await client.chat.postMessage({ channel: 'C0GONE', text: 'hi' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(webApi.WebAPIPlatformError);
      expect((error as webApi.WebAPIPlatformError).data.error).toBe('channel_not_found');
    } finally {
      await slack.close();
    }
  });
});
