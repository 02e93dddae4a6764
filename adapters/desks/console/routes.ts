/**
 * HTTP for the console, mounted by the app at `/console`: the page at `/` and its static files,
 * and the JSON API under `/api` (bearer token on every call, JSON bodies parsed only on the
 * routes that take one: the app hosts receivers that need raw bodies, so no global parser).
 *
 * Agents send files with `POST /api/chats/:id/files`: the body is the file itself (not a form),
 * `Content-Type` its type, the name in `?name=` (or a percent-encoded `X-File-Name` header),
 * an optional caption in `?text=`. 201 with the chat message; 400 bad name or empty file,
 * 413 too large, 415 type not allowed; nothing is stored then.
 */
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import { agentOf, requireAgent } from './auth';
import type { ConsoleDesk } from './desk';
import { checkFileMeta, checkFileSize, tooLarge } from './agent-files';
import { jsonErrorHandler, sendError } from '../../../bots/http/errors';
import { fingerprint, idempotencyKey, IdempotentAnswers, IDEMPOTENCY_HEADER } from '../../../bots/http/idempotency';
import { jsonBody } from '../../../bots/http/json-body';
import type { Store } from '../../../bots/core/ports';
import { openEventStream, type EventStreamLimits } from '../../../bots/http/event-stream';
import { servePage } from '../../../bots/http/pages';

export const PAGE_DIR = path.join(__dirname, 'page');
export const MAX_MESSAGE_CHARS = 10_000;

const postMessageBody = z.object({
  text: z
    .string({ required_error: 'is required', invalid_type_error: 'must be a string' })
    .max(MAX_MESSAGE_CHARS, `must be at most ${MAX_MESSAGE_CHARS.toLocaleString('en-US')} characters`)
    .refine((t) => t.trim().length > 0, 'must not be empty'),
  private: z.boolean({ invalid_type_error: 'must be true or false' }).optional(),
});

/**
 * The body of an agent's message. Every agent message passes here, so a well-formed body is
 * checked by hand (the same rules as the schema); only a bad one pays for the schema's report.
 */
function messageBody(body: unknown): z.infer<typeof postMessageBody> {
  const b = body as { text?: unknown; private?: unknown } | null;
  if (
    typeof b === 'object' &&
    b !== null &&
    !Array.isArray(b) &&
    typeof b.text === 'string' &&
    b.text.length <= MAX_MESSAGE_CHARS &&
    b.text.trim().length > 0 &&
    (b.private === undefined || typeof b.private === 'boolean')
  ) {
    return { text: b.text, ...(b.private !== undefined ? { private: b.private } : {}) };
  }
  const parsed = postMessageBody.safeParse(body);
  if (!parsed.success) throw new BridgeError(ErrorCode.BadRequest, describe(parsed.error));
  return parsed.data;
}

/**
 * Strict page headers: the page loads only its own files and talks only to its own API. Images
 * may also come from where files are served (the bridge's public URL may differ from the
 * console's own origin).
 */
function pageHeaders(fileOrigin: string | undefined): Record<string, string> {
  const images = ["'self'", 'https:', 'data:', ...(fileOrigin && /^https?:\/\/[^\s;']+$/.test(fileOrigin) ? [fileOrigin] : [])];
  return {
    'Content-Security-Policy': `default-src 'self'; script-src 'self'; style-src 'self'; img-src ${images.join(' ')}; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
  };
}

export interface ConsoleRouterOptions {
  /** Where `Idempotency-Key` answers are kept (the desk's store, so they hold across processes). */
  store: Store;
  /** How far behind a reader of `/api/events` may fall before it is dropped. */
  eventStreams?: EventStreamLimits;
}

export function createConsoleRouter(desk: ConsoleDesk, options: ConsoleRouterOptions): Router {
  const router = express.Router();

  // The API first: its requests never need a look at the page folder.
  router.use('/api', createApiRouter(desk, options));

  servePage(router, PAGE_DIR, () => pageHeaders(desk.fileOrigin()));
  return router;
}

function createApiRouter(desk: ConsoleDesk, options: ConsoleRouterOptions): Router {
  const api = express.Router();
  const json = jsonBody({ limit: 64 * 1024 });
  const answers = new IdempotentAnswers(options.store, desk.logger);

  // Sign-in first: an unauthenticated request changes nothing and its body is never parsed.
  api.use(requireAgent(desk));
  api.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  // First: agents' messages are most of this API's traffic, and express tries routes in order.
  api.post('/chats/:id/messages', json, async (req, res) => {
    if (req.body === undefined) {
      throw new BridgeError(ErrorCode.BadRequest, 'Send a JSON body with "Content-Type: application/json".');
    }
    const post = messageBody(req.body);
    const agent = agentOf(res);
    const chatId = req.params.id;
    const key = idempotencyKey(req.headers[IDEMPOTENCY_HEADER]);
    if (key === undefined) {
      res.status(201).json(await desk.postMessage(agent, chatId, post));
      return;
    }
    // A resend with the same key (the page's, after a failed POST) is answered, not sent again.
    const answer = await answers.once(
      ['console-message', agent.id, chatId],
      key,
      fingerprint([post.text, post.private === true]),
      async () => ({
        status: 201,
        body: await desk.postMessage(agent, chatId, post),
      }),
    );
    if (answer.replayed) res.set('Idempotent-Replayed', 'true');
    res.status(answer.status).json(answer.body);
  });

  api.get('/me', (_req, res) => {
    res.json(agentOf(res));
  });

  /** What the page needs to check a file before sending it. */
  api.get('/settings', (_req, res) => {
    const { maxBytes, allowedTypes } = desk.fileLimits;
    res.json({ files: { enabled: desk.filesEnabled, maxBytes, allowedTypes } });
  });

  api.get('/chats', async (_req, res) => {
    res.json({ chats: await desk.listChats() });
  });

  api.get('/chats/:id', async (req, res) => {
    res.json(await desk.getChat(req.params.id));
  });

  api.post('/chats/:id/accept', async (req, res) => {
    res.json(await desk.accept(agentOf(res), req.params.id));
  });

  api.get('/chats/:id/messages', async (req, res) => {
    const chat = await desk.getChat(req.params.id);
    res.json({ messages: chat.messages });
  });

  api.post('/chats/:id/files', async (req, res) => {
    if (!desk.filesEnabled)
      throw new BridgeError(ErrorCode.FileRejected, 'Sending files is not available on this console.', { status: 501 });
    const limits = desk.fileLimits;
    // Everything that can be refused without the body is refused first, and the body is
    // never read past the limit.
    const name = uploadName(req);
    const contentType = uploadType(req);
    checkFileMeta(name, contentType, limits);
    const text = caption(req);
    const declared = req.get('content-length');
    if (declared !== undefined) checkFileSize(Number(declared), limits);
    await desk.assertCanPost(agentOf(res), req.params.id);
    const bytes = await readBody(req, limits.maxBytes);
    checkFileSize(bytes.byteLength, limits);
    const message = await desk.postFile(agentOf(res), req.params.id, { name, contentType, bytes, ...(text ? { text } : {}) });
    res.status(201).json(message);
  });

  api.post('/chats/:id/typing', async (req, res) => {
    await desk.typing(agentOf(res), req.params.id);
    res.status(204).end();
  });

  api.post('/chats/:id/end', async (req, res) => {
    res.json(await desk.end(agentOf(res), req.params.id));
  });

  api.get('/events', (req, res) => {
    let disconnect = () => {};
    const stream = openEventStream(req, res, () => disconnect(), options.eventStreams);
    disconnect = desk.connectAgent(agentOf(res), stream);
  });

  api.use((_req, res) => sendError(res, 404, ErrorCode.NotFound, 'No such console API endpoint.'));
  api.use(jsonErrorHandler(desk.logger, { scope: 'console' }));
  return api;
}

function queryString(req: Request, key: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BridgeError(ErrorCode.BadRequest, `Give "${key}" once, as plain text.`);
  return value;
}

/** `?name=` or a percent-encoded `X-File-Name` header (headers cannot carry raw UTF-8). */
function uploadName(req: Request): string {
  const fromQuery = queryString(req, 'name');
  if (fromQuery !== undefined) return fromQuery;
  const header = req.get('x-file-name');
  if (header === undefined)
    throw new BridgeError(ErrorCode.BadRequest, 'Name the file: add ?name=<file name> to the URL (or an X-File-Name header).');
  try {
    return decodeURIComponent(header);
  } catch {
    throw new BridgeError(ErrorCode.BadRequest, 'X-File-Name must be percent-encoded UTF-8.');
  }
}

/** The file's type from Content-Type, without parameters. */
function uploadType(req: Request): string {
  const raw = req.get('content-type');
  const type = raw?.split(';')[0].trim().toLowerCase() ?? '';
  if (!/^[\w.+-]+\/[\w.+-]+$/.test(type)) {
    throw new BridgeError(
      ErrorCode.FileRejected,
      "Send the file's type in Content-Type, for example image/png (application/octet-stream if unknown).",
      {
        status: 415,
      },
    );
  }
  if (type.startsWith('multipart/') || type === 'application/x-www-form-urlencoded') {
    throw new BridgeError(ErrorCode.FileRejected, 'Send the file itself as the request body, not a form.', { status: 415 });
  }
  return type;
}

function caption(req: Request): string | undefined {
  const text = queryString(req, 'text');
  if (text === undefined || text.trim() === '') return undefined;
  if (text.length > MAX_MESSAGE_CHARS) {
    throw new BridgeError(
      ErrorCode.BadRequest,
      `The caption is too long (${MAX_MESSAGE_CHARS.toLocaleString('en-US')} characters at most).`,
    );
  }
  return text;
}

/**
 * The raw body, refused with 413 as soon as it passes `maxBytes`. What is left of a refused body
 * is drained and dropped (not buffered), so the client still gets its answer.
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const fail = (err: BridgeError) => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      reject(err);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      total += chunk.byteLength;
      if (total > maxBytes) fail(tooLarge(maxBytes));
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, total));
    });
    req.on('error', () => fail(new BridgeError(ErrorCode.BadRequest, 'The upload was interrupted.')));
    req.on('aborted', () => fail(new BridgeError(ErrorCode.BadRequest, 'The upload was interrupted.')));
  });
}

/** "text: is required; private: must be true or false" */
function describe(error: z.ZodError): string {
  const parts = error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : bodyShape(i.message)));
  return `Invalid message. ${parts.join('; ')}.`;
}

function bodyShape(message: string): string {
  return /expected object/i.test(message) ? 'the body must be a JSON object like {"text": "..."}' : message;
}
