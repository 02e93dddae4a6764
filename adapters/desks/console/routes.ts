/**
 * HTTP for the console, mounted by the app at `/console`: the page at `/` and its static files,
 * and the JSON API under `/api` (bearer token on every call, JSON bodies parsed only on the
 * routes that take one: the app hosts receivers that need raw bodies, so no global parser).
 */
import path from 'node:path';
import express, { type Router } from 'express';
import { z } from 'zod';
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import { agentOf, requireAgent } from './auth';
import type { ConsoleDesk } from './desk';
import { consoleErrorHandler, sendError } from './http-errors';
import { openEventStream } from './sse-response';

export const PAGE_DIR = path.join(__dirname, 'page');
export const MAX_MESSAGE_CHARS = 10_000;

const postMessageBody = z.object({
  text: z
    .string({ required_error: 'is required', invalid_type_error: 'must be a string' })
    .max(MAX_MESSAGE_CHARS, `must be at most ${MAX_MESSAGE_CHARS.toLocaleString('en-US')} characters`)
    .refine((t) => t.trim().length > 0, 'must not be empty'),
  private: z.boolean({ invalid_type_error: 'must be true or false' }).optional(),
});

/** Strict page headers: the page loads only its own files and talks only to its own API. */
const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

export function createConsoleRouter(desk: ConsoleDesk): Router {
  const router = express.Router();

  // The API first: its requests never need a look at the page folder.
  router.use('/api', createApiRouter(desk));

  router.get('/', (req, res) => {
    // The page uses relative URLs, which resolve against `/console/`, not `/console`.
    if (!req.originalUrl.split('?')[0].endsWith('/')) return res.redirect(302, `${req.baseUrl}/`);
    res.set(PAGE_HEADERS).set('Cache-Control', 'no-cache').sendFile(path.join(PAGE_DIR, 'index.html'));
  });
  router.use(
    express.static(PAGE_DIR, {
      index: false,
      setHeaders: (res) => {
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.setHeader('Cache-Control', 'no-cache');
      },
    }),
  );
  return router;
}

function createApiRouter(desk: ConsoleDesk): Router {
  const api = express.Router();
  const json = express.json({ limit: '64kb' });

  // Sign-in first: an unauthenticated request changes nothing and its body is never parsed.
  api.use(requireAgent(desk));
  api.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  api.get('/me', (_req, res) => {
    res.json(agentOf(res));
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

  api.post('/chats/:id/messages', json, async (req, res) => {
    if (req.body === undefined) {
      throw new BridgeError(ErrorCode.BadRequest, 'Send a JSON body with "Content-Type: application/json".');
    }
    const parsed = postMessageBody.safeParse(req.body);
    if (!parsed.success) throw new BridgeError(ErrorCode.BadRequest, describe(parsed.error));
    const message = await desk.postMessage(agentOf(res), req.params.id, parsed.data);
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
    const stream = openEventStream(req, res, () => disconnect());
    disconnect = desk.connectAgent(agentOf(res), stream);
  });

  api.use((_req, res) => sendError(res, 404, ErrorCode.NotFound, 'No such console API endpoint.'));
  api.use(consoleErrorHandler(desk.logger));
  return api;
}

/** "text: is required; private: must be true or false" */
function describe(error: z.ZodError): string {
  const parts = error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : bodyShape(i.message)));
  return `Invalid message. ${parts.join('; ')}.`;
}

function bodyShape(message: string): string {
  return /expected object/i.test(message) ? 'the body must be a JSON object like {"text": "..."}' : message;
}
