/**
 * A local stand-in for Slack's Web API and file hosts, covering what the bridge calls:
 * auth.test, chat.postMessage / chat.update, views.open, users.info, conversations.open,
 * files.info, the upload flow (files.getUploadURLExternal → POST bytes → files.completeUploadExternal),
 * and private file downloads that need the bot token (a wrong token gets Slack's HTML login page
 * with status 200, as the real thing does).
 *
 * It answers the way Slack does: HTTP 200 with `{ ok: false, error }` for platform errors, 429
 * with Retry-After when scripted, `invalid_blocks` for Block Kit Slack would reject (a `disabled`
 * button, over-long texts), `expired_trigger_id` for a trigger older than 3 s. Every call is
 * recorded, so tests can assert on exactly what the bot sent.
 *
 * Point the bridge's `slack.apiUrl` at `fake.apiUrl` and Bolt's real WebClient talks to it.
 */
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Waiters } from './waiters';

export interface SlackCall {
  method: string;
  args: Record<string, any>;
  /** The bearer token the call carried. */
  token?: string;
  /** What the fake answered (the JSON body). */
  response: Record<string, any>;
  status: number;
  at: number;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: any[];
  username?: string;
  icon_url?: string;
  /** Every version after updates, oldest first. */
  history: { text: string; blocks: any[] }[];
}

export interface FakeView {
  id: string;
  triggerId: string;
  view: Record<string, any>;
}

export interface FakeFile {
  id: string;
  name: string;
  mimetype: string;
  bytes: Buffer;
  /** The token the download must carry (default: the bot's). */
  token?: string;
  /** Declared size, when it should differ from the real one. */
  size?: number;
  /** Stream the download without Content-Length, so only counting the bytes can stop it. */
  chunked?: boolean;
  team?: string;
}

export interface FakeUpload {
  fileId: string;
  filename: string;
  length: number;
  bytes?: Buffer;
  channel?: string;
  initialComment?: string;
  completed: boolean;
}

export interface FakeSlackUser {
  id: string;
  name: string;
  real_name?: string;
  email?: string;
  tz?: string;
  locale?: string;
}

export interface ScriptedSlackFailure {
  status?: number;
  retryAfter?: number;
  /** A platform error (`{ ok: false, error }` with status 200). */
  error?: string;
}

export interface FakeSlackOptions {
  botToken: string;
  botUserId?: string;
  botId?: string;
  teamId?: string;
  /** Sent as `x-oauth-scopes` (drives `customizeSender: auto`). */
  scopes?: string[];
  /** Socket Mode: the app-level token `apps.connections.open` accepts. */
  appToken?: string;
}

export const DEFAULT_SCOPES = [
  'chat:write',
  'chat:write.customize',
  'im:history',
  'im:write',
  'files:read',
  'files:write',
  'users:read',
  'users:read.email',
];
const TRIGGER_LIFETIME_MS = 3000;

export interface FakeSlack {
  readonly url: string;
  /** The Web API base URL (`…/api/`). */
  readonly apiUrl: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly teamId: string;
  readonly calls: SlackCall[];
  readonly messages: FakeMessage[];
  readonly views: FakeView[];
  readonly uploads: FakeUpload[];
  /** Successful calls of one method. */
  callsOf(method: string): SlackCall[];
  scopes: string[];
  /** Where `apps.connections.open` sends Socket Mode clients. */
  socketUrl?: string;
  /** A trigger_id as Slack puts in a click, valid for 3 s from `issuedAt` (default now). */
  issueTrigger(issuedAt?: number): string;
  addUser(user: FakeSlackUser): void;
  /** Host a file; returns Slack's file object (with `url_private_download` on this fake). */
  addFile(file: FakeFile): Record<string, any>;
  /** Serve bytes at an arbitrary public URL on this fake (agent files shared by link). */
  hostPublic(path: string, bytes: Buffer, contentType: string): string;
  /** Answer the next `count` calls of `method` with this failure. */
  failNext(method: string, count: number, failure: ScriptedSlackFailure): void;
  waitFor<T>(find: () => T | undefined, timeoutMs?: number, what?: string): Promise<T>;
  close(): Promise<void>;
}

export async function startFakeSlack(options: FakeSlackOptions): Promise<FakeSlack> {
  const botUserId = options.botUserId ?? 'UBOT0001';
  const botId = options.botId ?? 'BBOT0001';
  const teamId = options.teamId ?? 'T0ACME';
  const calls: SlackCall[] = [];
  const messages: FakeMessage[] = [];
  const views: FakeView[] = [];
  const uploads: FakeUpload[] = [];
  const users = new Map<string, FakeSlackUser>();
  const files = new Map<string, FakeFile>();
  const publicFiles = new Map<string, { bytes: Buffer; contentType: string }>();
  const triggers = new Map<string, { issuedAt: number; used: boolean }>();
  const failures = new Map<string, ScriptedSlackFailure[]>();
  const waiters = new Waiters();
  let seq = 0;
  let url = '';
  const nextTs = () => `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;
  const wake = () => waiters.wake();

  const app = express();
  app.disable('x-powered-by');

  // --- Web API ---------------------------------------------------------------------------------
  app.post('/api/:method', express.urlencoded({ extended: false, limit: '5mb' }), express.json({ limit: '5mb' }), (req, res) => {
    const method = String(req.params.method);
    const args = decodeArgs(req.body ?? {});
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : typeof args.token === 'string' ? args.token : undefined;
    const answer = (status: number, body: Record<string, any>, headers: Record<string, string> = {}) => {
      calls.push({ method, args, token, response: body, status, at: Date.now() });
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      res.setHeader('x-oauth-scopes', fake.scopes.join(','));
      res.status(status).json(body);
      wake();
    };
    const scripted = failures.get(method)?.shift();
    if (scripted) {
      if (scripted.status === 429)
        return answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(scripted.retryAfter ?? 1) });
      if (scripted.status && scripted.status !== 200) return answer(scripted.status, { ok: false, error: 'fatal_error' });
      return answer(200, { ok: false, error: scripted.error ?? 'fatal_error' });
    }
    if (method === 'apps.connections.open') {
      // Socket Mode: the only method called with the app-level token.
      if (!options.appToken || token !== options.appToken) return answer(200, { ok: false, error: 'invalid_auth' });
      return fake.socketUrl ? answer(200, { ok: true, url: fake.socketUrl }) : answer(200, { ok: false, error: 'internal_error' });
    }
    if (token !== options.botToken) return answer(200, { ok: false, error: 'invalid_auth' });
    const handler = methods[method];
    if (!handler) return answer(200, { ok: false, error: 'unknown_method' });
    const body = handler(args);
    return answer(200, body);
  });

  const methods: Record<string, (args: Record<string, any>) => Record<string, any>> = {
    'auth.test': () => ({
      ok: true,
      url: 'https://acme.slack.com/',
      team: 'Acme',
      user: 'support-bot',
      team_id: teamId,
      user_id: botUserId,
      bot_id: botId,
    }),
    'chat.postMessage': (args) => {
      const problem = checkMessage(args);
      if (problem) return { ok: false, error: problem };
      const channel = String(args.channel);
      const message: FakeMessage = {
        channel,
        ts: nextTs(),
        text: String(args.text ?? ''),
        blocks: args.blocks ?? [],
        ...(args.username ? { username: String(args.username) } : {}),
        ...(args.icon_url ? { icon_url: String(args.icon_url) } : {}),
        history: [],
      };
      messages.push(message);
      return { ok: true, channel, ts: message.ts, message: { type: 'message', text: message.text, ts: message.ts, bot_id: botId } };
    },
    'chat.update': (args) => {
      const problem = checkMessage(args);
      if (problem) return { ok: false, error: problem };
      const message = messages.find((m) => m.channel === args.channel && m.ts === args.ts);
      if (!message) return { ok: false, error: 'message_not_found' };
      message.history.push({ text: message.text, blocks: message.blocks });
      message.text = String(args.text ?? '');
      message.blocks = args.blocks ?? [];
      return { ok: true, channel: message.channel, ts: message.ts, text: message.text };
    },
    'views.open': (args) => {
      const trigger = triggers.get(String(args.trigger_id));
      if (!trigger) return { ok: false, error: 'invalid_trigger_id' };
      if (trigger.used) return { ok: false, error: 'exchanged_trigger_id' };
      if (Date.now() - trigger.issuedAt > TRIGGER_LIFETIME_MS) return { ok: false, error: 'expired_trigger_id' };
      const problem = checkView(args.view);
      if (problem) return { ok: false, error: problem };
      trigger.used = true;
      const view: FakeView = { id: `V${String(++seq).padStart(8, '0')}`, triggerId: String(args.trigger_id), view: args.view };
      views.push(view);
      return { ok: true, view: { id: view.id, team_id: teamId, ...args.view } };
    },
    'users.info': (args) => {
      const user = users.get(String(args.user));
      if (!user) return { ok: false, error: 'user_not_found' };
      return {
        ok: true,
        user: {
          id: user.id,
          team_id: teamId,
          name: user.name,
          real_name: user.real_name ?? user.name,
          tz: user.tz ?? 'America/New_York',
          ...(args.include_locale ? { locale: user.locale ?? 'en-US' } : {}),
          profile: { display_name: user.name, real_name: user.real_name ?? user.name, ...(user.email ? { email: user.email } : {}) },
        },
      };
    },
    'conversations.open': (args) => ({ ok: true, channel: { id: `D${String(args.users).replace(/^U/, '')}` } }),
    'files.info': (args) => {
      const file = files.get(String(args.file));
      return file ? { ok: true, file: fileObject(file) } : { ok: false, error: 'file_not_found' };
    },
    'files.getUploadURLExternal': (args) => {
      const fileId = `F${String(++seq).padStart(8, '0')}`;
      uploads.push({ fileId, filename: String(args.filename), length: Number(args.length), completed: false });
      return { ok: true, upload_url: `${url}/upload/${fileId}`, file_id: fileId };
    },
    'files.completeUploadExternal': (args) => {
      const list = (args.files ?? []) as { id: string; title?: string }[];
      const done = [];
      for (const f of list) {
        const upload = uploads.find((u) => u.fileId === f.id);
        if (!upload?.bytes) return { ok: false, error: 'file_not_found' };
        upload.completed = true;
        upload.channel = args.channel_id;
        upload.initialComment = args.initial_comment;
        done.push({ id: upload.fileId, name: upload.filename, title: f.title ?? upload.filename, size: upload.bytes.byteLength });
      }
      return { ok: true, files: done };
    },
  };

  function fileObject(file: FakeFile): Record<string, any> {
    const team = file.team ?? teamId;
    return {
      id: file.id,
      name: file.name,
      title: file.name,
      mimetype: file.mimetype,
      filetype: file.name.split('.').pop(),
      size: file.size ?? file.bytes.byteLength,
      mode: 'hosted',
      is_external: false,
      url_private: `${url}/files-pri/${team}-${file.id}/${encodeURIComponent(file.name)}`,
      url_private_download: `${url}/files-pri/${team}-${file.id}/download/${encodeURIComponent(file.name)}`,
    };
  }

  // --- Uploads and downloads --------------------------------------------------------------------
  app.post('/upload/:fileId', express.raw({ type: () => true, limit: '50mb' }), async (req, res) => {
    const upload = uploads.find((u) => u.fileId === req.params.fileId);
    if (!upload) {
      res.status(404).send('no such upload');
      return;
    }
    // The web client sends multipart/form-data; Node's own parser reads it back.
    const form = await new Request('http://fake/upload', {
      method: 'POST',
      headers: { 'content-type': String(req.headers['content-type']) },
      body: req.body,
    }).formData();
    let part: Blob | undefined;
    form.forEach((v) => {
      if (!part && typeof v !== 'string') part = v;
    });
    upload.bytes = part ? Buffer.from(await part.arrayBuffer()) : Buffer.from(req.body as Buffer);
    res.status(200).send(`OK - ${upload.bytes.byteLength}`);
    wake();
  });

  const download = (req: express.Request, res: express.Response) => {
    const id = String(req.params.teamFile).split('-').slice(1).join('-');
    const file = files.get(id);
    const expected = file?.token ?? options.botToken;
    if (!file || req.headers.authorization !== `Bearer ${expected}`) {
      // Slack's behaviour for a missing or wrong token: a login page, with 200.
      res.status(200).type('text/html').send('<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Acme</body></html>');
      return;
    }
    res.status(200).setHeader('content-type', file.mimetype);
    if (!file.chunked) {
      res.setHeader('content-length', String(file.bytes.byteLength));
      res.end(file.bytes);
      return;
    }
    for (let i = 0; i < file.bytes.byteLength; i += 16 * 1024) res.write(file.bytes.subarray(i, i + 16 * 1024));
    res.end();
  };
  app.get('/files-pri/:teamFile/download/:name', download);
  app.get('/files-pri/:teamFile/:name', download);
  app.get('/public/*path', (req, res) => {
    const found = publicFiles.get(req.path);
    if (!found) {
      res.status(404).end();
      return;
    }
    res.status(200).type(found.contentType).send(found.bytes);
  });

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: FakeSlack = {
    url,
    apiUrl: `${url}/api/`,
    botUserId,
    botId,
    teamId,
    calls,
    messages,
    views,
    uploads,
    scopes: options.scopes ?? DEFAULT_SCOPES,
    callsOf: (method) => calls.filter((c) => c.method === method && c.response.ok === true),
    issueTrigger(issuedAt = Date.now()) {
      const id = `${Math.floor(issuedAt / 1000)}.${++seq}.trigger${seq}`;
      triggers.set(id, { issuedAt, used: false });
      return id;
    },
    addUser: (user) => void users.set(user.id, user),
    addFile(file) {
      files.set(file.id, file);
      return fileObject(file);
    },
    hostPublic(path, bytes, contentType) {
      const p = `/public/${path.replace(/^\/+/, '')}`;
      publicFiles.set(p, { bytes, contentType });
      return `${url}${p}`;
    },
    failNext(method, count, failure) {
      const list = failures.get(method) ?? [];
      for (let i = 0; i < count; i++) list.push(failure);
      failures.set(method, list);
    },
    waitFor(find, timeoutMs = 5000, what = 'a matching Slack call') {
      return waiters.waitFor(
        find,
        timeoutMs,
        () => `fake Slack: no ${what} within ${timeoutMs} ms; calls: ${calls.map((c) => c.method).join(', ')}`,
      );
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
  return fake;
}

/** The web client sends nested values (blocks, view, files) as JSON strings in a form. */
function decodeArgs(body: Record<string, unknown>): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === 'string' && /^[[{]/.test(v)) {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        // a plain string that starts with a bracket
      }
    }
    out[k] = v;
  }
  return out;
}

// Block Kit checks: the subset of Slack's validation that a renderer bug would trip.
function checkMessage(args: Record<string, any>): string | undefined {
  if (!args.channel) return 'channel_not_found';
  if (!args.text && !(Array.isArray(args.blocks) && args.blocks.length > 0)) return 'no_text';
  if (args.blocks !== undefined) {
    if (!Array.isArray(args.blocks) || args.blocks.length > 50) return 'invalid_blocks';
    if (blockProblem(args.blocks)) return 'invalid_blocks';
  }
  return undefined;
}

function checkView(view: any): string | undefined {
  if (view?.type !== 'modal') return 'invalid_arguments';
  if (!view.title?.text || view.title.text.length > 24) return 'invalid_arguments';
  if (view.submit && view.submit.text.length > 24) return 'invalid_arguments';
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > 3000) return 'invalid_arguments';
  if (!Array.isArray(view.blocks) || view.blocks.length > 100 || blockProblem(view.blocks)) return 'invalid_arguments';
  return undefined;
}

function blockProblem(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(blockProblem);
  if (!node || typeof node !== 'object') return false;
  const n = node as Record<string, any>;
  // Slack has no disabled buttons: `invalid additional property: disabled`.
  if ('disabled' in n) return true;
  if ((n.type === 'plain_text' || n.type === 'mrkdwn') && (typeof n.text !== 'string' || n.text.length === 0 || n.text.length > 3000))
    return true;
  if (n.type === 'button' && (n.text?.text?.length > 75 || (n.value !== undefined && String(n.value).length > 2000))) return true;
  if (n.type === 'actions' && (!Array.isArray(n.elements) || n.elements.length === 0 || n.elements.length > 25)) return true;
  return Object.values(n).some((v) => typeof v === 'object' && blockProblem(v));
}
