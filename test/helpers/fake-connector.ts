/**
 * A local stand-in for the Bot Connector service (the `serviceUrl` in Teams activities), covering
 * what the bot calls: send, reply, update, delete, create conversation (a channel thread too). It records every request
 * (with its Authorization header) and can be scripted to fail, to exercise botbuilder's retries.
 *
 * Point activities' `serviceUrl` at `connector.url` and the real CloudAdapter talks to it over HTTP.
 */
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Waiters } from './waiters';

export interface ConnectorRequest {
  method: string;
  path: string;
  conversationId?: string;
  /** The `:id` of update/delete, or the `:replyToId` of a reply. */
  activityId?: string;
  /** The id the fake assigned (sends and replies). */
  assignedId?: string;
  body: Record<string, unknown>;
  authorization?: string;
  /** What the fake answered. */
  status: number;
  at: number;
}

export interface ScriptedFailure {
  status: number;
  /** Seconds, sent as the Retry-After header. */
  retryAfter?: number;
  body?: unknown;
}

export interface FakeConnector {
  readonly url: string;
  readonly requests: ConnectorRequest[];
  /** Activities the bot sent (POSTs that succeeded), optionally for one conversation. */
  sent(conversationId?: string): Record<string, unknown>[];
  /** Successful updates (PUT), each with the activity id that was updated. */
  updates(conversationId?: string): { activityId: string; activity: Record<string, unknown> }[];
  /** Answer the next `count` requests with this failure (then behave normally again). */
  failNext(count: number, failure: ScriptedFailure): void;
  /** Resolves with the first recorded request matching `predicate`, waiting for it if needed. */
  waitFor(predicate: (r: ConnectorRequest) => boolean, timeoutMs?: number): Promise<ConnectorRequest>;
  reset(): void;
  close(): Promise<void>;
  /**
   * Keep an image the way the Bot Connector keeps one pasted into a message; returns its
   * `contentUrl` (`{url}v3/attachments/{id}/views/original`). GETs are recorded like other calls.
   */
  addAttachment(id: string, bytes: Uint8Array, contentType: string): string;
}

export async function startFakeConnector(): Promise<FakeConnector> {
  const requests: ConnectorRequest[] = [];
  const failures: ScriptedFailure[] = [];
  const waiters = new Waiters();
  let nextId = 1;

  const app = express();
  app.use(express.json({ limit: '5mb' }));

  const record = (req: express.Request, status: number, extra: Partial<ConnectorRequest>): ConnectorRequest => {
    const entry: ConnectorRequest = {
      method: req.method,
      path: req.path,
      conversationId: typeof req.params.cid === 'string' ? req.params.cid : undefined,
      body: (req.body ?? {}) as Record<string, unknown>,
      authorization: req.headers.authorization,
      status,
      at: Date.now(),
      ...extra,
    };
    requests.push(entry);
    waiters.wake();
    return entry;
  };

  /** Answers with a scripted failure when one is queued; returns true if it did. */
  const scripted = (req: express.Request, res: express.Response, extra: Partial<ConnectorRequest>): boolean => {
    const failure = failures.shift();
    if (!failure) return false;
    record(req, failure.status, extra);
    if (failure.retryAfter !== undefined) res.setHeader('Retry-After', String(failure.retryAfter));
    res.status(failure.status).json(failure.body ?? { error: { code: 'ServiceError', message: 'scripted failure' } });
    return true;
  };

  const post = (req: express.Request, res: express.Response) => {
    const replyTo = typeof req.params.replyToId === 'string' ? req.params.replyToId : undefined;
    if (scripted(req, res, { activityId: replyTo })) return;
    const assignedId = `1:${Date.now()}${String(nextId++).padStart(4, '0')}`;
    record(req, 200, { activityId: replyTo, assignedId });
    res.status(200).json({ id: assignedId });
  };

  app.post('/v3/conversations/:cid/activities', post);
  app.post('/v3/conversations/:cid/activities/:replyToId', post);
  app.put('/v3/conversations/:cid/activities/:id', (req, res) => {
    if (scripted(req, res, { activityId: req.params.id })) return;
    record(req, 200, { activityId: req.params.id });
    res.status(200).json({ id: req.params.id });
  });
  app.delete('/v3/conversations/:cid/activities/:id', (req, res) => {
    if (scripted(req, res, { activityId: req.params.id })) return;
    record(req, 200, { activityId: req.params.id });
    res.status(200).end();
  });
  app.post('/v3/conversations', (req, res) => {
    if (scripted(req, res, {})) return;
    // A thread in a Teams channel: the conversation is `<channel>;messageid=<root activity id>`.
    const channel = (req.body as { channelData?: { channel?: { id?: unknown } } })?.channelData?.channel?.id;
    if (typeof channel === 'string' && channel) {
      const root = `${Date.now()}${String(nextId++).padStart(4, '0')}`;
      const id = `${channel};messageid=${root}`;
      record(req, 200, { assignedId: root, conversationId: id });
      res.status(200).json({ id, activityId: root });
      return;
    }
    const id = `a:fake-conversation-${nextId++}`;
    record(req, 200, { assignedId: id });
    res.status(200).json({ id, activityId: '' });
  });
  const attachments = new Map<string, { bytes: Uint8Array; contentType: string }>();
  app.get('/v3/attachments/:aid/views/:view', (req, res) => {
    const found = attachments.get(req.params.aid);
    record(req, found ? 200 : 404, {});
    if (!found) {
      res.status(404).json({ error: { code: 'NotFound', message: 'no such attachment' } });
      return;
    }
    res.status(200).type(found.contentType).send(Buffer.from(found.bytes));
  });

  app.use((req, res) => {
    record(req, 404, {});
    res.status(404).json({ error: { code: 'NotFound', message: `fake connector has no route for ${req.method} ${req.path}` } });
  });

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  // Teams serviceUrls end with a slash; botbuilder copes either way.
  const url = `http://127.0.0.1:${port}/`;

  const ok = (r: ConnectorRequest) => r.status >= 200 && r.status < 300;

  return {
    url,
    requests,
    sent(conversationId) {
      return requests
        .filter((r) => r.method === 'POST' && ok(r) && isActivityPost(r))
        .filter((r) => conversationId === undefined || r.conversationId === conversationId)
        .map((r) => r.body);
    },
    updates(conversationId) {
      return requests
        .filter((r) => r.method === 'PUT' && ok(r))
        .filter((r) => conversationId === undefined || r.conversationId === conversationId)
        .map((r) => ({ activityId: r.activityId ?? '', activity: r.body }));
    },
    failNext(count, failure) {
      for (let i = 0; i < count; i++) failures.push(failure);
    },
    waitFor(predicate, timeoutMs = 5000) {
      return waiters.waitFor(
        () => requests.find(predicate),
        timeoutMs,
        () => `fake connector: no matching request within ${timeoutMs} ms (saw ${requests.length})`,
      );
    },
    addAttachment(id, bytes, contentType) {
      attachments.set(id, { bytes, contentType });
      return `${url}v3/attachments/${encodeURIComponent(id)}/views/original`;
    },
    reset() {
      requests.length = 0;
      failures.length = 0;
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

function isActivityPost(r: ConnectorRequest): boolean {
  return /^\/v3\/conversations\/[^/]+\/activities(\/[^/]+)?$/.test(r.path);
}
