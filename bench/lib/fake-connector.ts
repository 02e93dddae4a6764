/**
 * A fast stand-in for the Bot Connector service (the `serviceUrl` of Teams activities): plain
 * `node:http`, no framework, no per-request allocation beyond the body. It answers every send
 * with an id, counts and timestamps every activity, and hands each one to a listener.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface ConnectorActivity {
  method: 'POST' | 'PUT';
  conversationId: string;
  /** The id the connector assigned (POST) or the id updated (PUT). */
  activityId: string;
  body: Record<string, unknown>;
  /** The activity's text, if any. */
  text?: string;
  /** The benchmark tag found in the text (see `tagOf`). */
  tag?: string;
  /** performance.now() when the body was read. */
  at: number;
}

export interface FakeConnector {
  readonly url: string;
  /** Counts by kind, for the report. */
  readonly counts: { posts: number; puts: number; other: number; bytes: number; connections: number };
  onActivity?: (a: ConnectorActivity) => void;
  close(): Promise<void>;
}

const TAG = /bench\[([a-z]\d+\.\d+)\]/;

/** Tags look like `bench[u17.3]`: direction letter, chat index, sequence number. */
export function tagOf(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const m = TAG.exec(text);
  return m ? m[1] : undefined;
}

const ACTIVITIES = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/?]+))?/;

export async function startFakeConnector(): Promise<FakeConnector> {
  let nextId = 1;
  const counts = { posts: 0, puts: 0, other: 0, bytes: 0, connections: 0 };
  const connector: FakeConnector = {
    url: '',
    counts,
    close: async () => undefined,
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const m = ACTIVITIES.exec(req.url ?? '');
      if (!m || (req.method !== 'POST' && req.method !== 'PUT')) {
        counts.other += 1;
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"NotFound"}}');
        return;
      }
      const raw = Buffer.concat(chunks);
      counts.bytes += raw.length;
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        res.writeHead(400).end();
        return;
      }
      const conversationId = decodeURIComponent(m[1]);
      let activityId: string;
      if (req.method === 'POST') {
        counts.posts += 1;
        activityId = `1:${nextId++}`;
      } else {
        counts.puts += 1;
        activityId = decodeURIComponent(m[2] ?? '');
      }
      const out = `{"id":${JSON.stringify(activityId)}}`;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) }).end(out);
      const text = typeof body.text === 'string' ? body.text : undefined;
      connector.onActivity?.({ method: req.method, conversationId, activityId, body, text, tag: tagOf(text), at });
    });
  });
  server.on('connection', () => {
    counts.connections += 1;
  });
  // Never close an idle kept-alive socket from this side: servers under test idle through the
  // other servers' interleaved rounds (30 s and more on a busy machine), and a close racing a
  // client's reuse of that socket loses the request (the echo bot's client does not resend it).
  // Clients close their own idle sockets (the bridge's after 30 s), which races with nothing.
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  (connector as { url: string }).url = `http://127.0.0.1:${port}/`;
  connector.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return connector;
}
