/**
 * A fast stand-in for Slack's Web API (what Bolt's `WebClient` calls when `slack.apiUrl` points
 * here): plain `node:http`, no framework. It answers the calls the bridge and the echo app make
 * on the relay path (auth.test, users.info, conversations.open, chat.postMessage, chat.update,
 * views.open), checks the bot token like Slack does (HTTP 200 with `{ ok: false }`), and hands
 * every posted or updated message to a listener in the same shape as the fake connector's
 * activities, so the driver counts both platforms the same way.
 *
 * The faithful fake for the wire tests is test/helpers/fake-slack.ts (express, records every
 * call, validates Block Kit); this one trades those checks for speed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { tagOf, type ConnectorActivity } from './fake-connector';

export const BENCH_SLACK_TOKEN = 'xoxb-bench-0000000000-bridge';
export const BENCH_SLACK_BOT_USER = 'UBENCHBOT1';
export const BENCH_SLACK_TEAM = 'TBENCH0001';
const SCOPES = 'chat:write,chat:write.customize,im:history,im:write,files:read,files:write,users:read,users:read.email';

export interface FakeSlackApi {
  readonly url: string;
  /** The Web API base URL to give the bridge (`…/api/`). */
  readonly apiUrl: string;
  readonly counts: { posts: number; updates: number; other: number; errors: number; connections: number };
  /** Posted (`POST`) and updated (`PUT`) messages, as the fake connector reports activities. */
  onActivity?: (a: ConnectorActivity) => void;
  close(): Promise<void>;
}

export async function startFakeSlackApi(): Promise<FakeSlackApi> {
  let seq = 0;
  const counts = { posts: 0, updates: 0, other: 0, errors: 0, connections: 0 };
  const api: FakeSlackApi = { url: '', apiUrl: '', counts, close: async () => undefined };
  const nextTs = () => `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const answer = (body: Record<string, unknown>) => {
        const out = JSON.stringify(body);
        res
          .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out), 'x-oauth-scopes': SCOPES })
          .end(out);
      };
      const method = /^\/api\/([\w.]+)/.exec(req.url ?? '')?.[1];
      if (req.method !== 'POST' || !method) {
        counts.other += 1;
        res.writeHead(404).end();
        return;
      }
      const args = parseArgs(Buffer.concat(chunks).toString('utf8'), req.headers['content-type']);
      const auth = req.headers.authorization;
      const token = auth?.startsWith('Bearer ') ? auth.slice(7) : args.token;
      if (token !== BENCH_SLACK_TOKEN) {
        counts.errors += 1;
        answer({ ok: false, error: 'invalid_auth' });
        return;
      }
      switch (method) {
        case 'auth.test':
          answer({
            ok: true,
            url: 'https://bench.slack.com/',
            team: 'Bench',
            user: 'support-bot',
            team_id: BENCH_SLACK_TEAM,
            user_id: BENCH_SLACK_BOT_USER,
            bot_id: 'BBENCHBOT1',
          });
          return;
        case 'users.info': {
          const id = String(args.user ?? '');
          answer({
            ok: true,
            user: {
              id,
              team_id: BENCH_SLACK_TEAM,
              name: id.toLowerCase(),
              real_name: `Bench ${id}`,
              tz: 'America/Los_Angeles',
              locale: 'en-US',
              profile: { real_name: `Bench ${id}`, display_name: id.toLowerCase() },
            },
          });
          return;
        }
        case 'conversations.open':
          answer({ ok: true, channel: { id: `D${String(args.users ?? '').replace(/^U/, '')}` } });
          return;
        case 'views.open':
          answer({ ok: true, view: { id: `V${++seq}` } });
          return;
        case 'chat.postMessage':
        case 'chat.update': {
          const channel = String(args.channel ?? '');
          if (!channel) {
            counts.errors += 1;
            answer({ ok: false, error: 'channel_not_found' });
            return;
          }
          const post = method === 'chat.postMessage';
          const ts = post ? nextTs() : String(args.ts ?? '');
          if (post) counts.posts += 1;
          else counts.updates += 1;
          answer({ ok: true, channel, ts });
          const text = typeof args.text === 'string' ? args.text : undefined;
          api.onActivity?.({
            method: post ? 'POST' : 'PUT',
            conversationId: channel,
            activityId: ts,
            body: args,
            text,
            tag: tagOf(text),
            at,
          });
          return;
        }
        default:
          counts.other += 1;
          answer({ ok: false, error: 'unknown_method' });
      }
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
  const url = `http://127.0.0.1:${port}`;
  Object.assign(api, { url, apiUrl: `${url}/api/` });
  api.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return api;
}

/** WebClient sends form-encoded arguments, with `blocks` (and other objects) as JSON strings. */
function parseArgs(raw: string, contentType: string | undefined): Record<string, any> {
  if (contentType?.includes('application/json')) {
    try {
      return JSON.parse(raw) as Record<string, any>;
    } catch {
      return {};
    }
  }
  const args: Record<string, any> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    args[k] = (k === 'blocks' || k === 'attachments') && v.startsWith('[') ? safeJson(v) : v;
  }
  return args;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
