/**
 * The web chat's JSON API (under `/chat/api`). Every call but `config` and `session` needs
 * `Authorization: Bearer <credential>` from `POST /session`; an unauthenticated request changes
 * nothing and its body is never parsed. JSON bodies are parsed only on the routes that take one
 * (the app hosts receivers that need raw bodies, so there is no global parser).
 *
 *   GET  /config    { title, signIn, stopPhrase, files }                       public
 *   POST /session   { token?, locale?, timeZone? } -> 201 { credential, user, expiresAt }
 *   GET  /history   -> { user, version, entries, state }
 *   GET  /events    Server-Sent Events (see wire.ts)
 *   POST /messages  { id, text?, files?: [fileId] } -> 202 { status, entry }
 *   POST /actions   { id, messageId, data } -> 202 { status }
 *   POST /files     raw bytes; Content-Type = the file's type; X-File-Name = encodeURIComponent(name)
 *                   -> 201 { file: { id, name, contentType, size, url } }
 *   POST /typing    -> 204
 *
 * `id` on messages and actions is the client's: a retried POST with the same id is dropped by
 * the broker's de-duplication and shown once.
 */
import express, { type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import { parseCardAction, type CardAction } from '../../cards/actions';
import { BridgeError, ErrorCode } from '../core/errors';
import type { UserContext, UserEvent, UserEventHandler } from '../core/events';
import { formatBytes, type FileVault } from '../core/file-vault';
import type { Clock, Logger, Store } from '../core/ports';
import type { CoreSettings } from '../core/settings';
import type { WebSettings } from './config';
import type { EventStreamLimits } from '../http/event-stream';
import { openEventStream, type UserStreams } from './event-stream';
import { bearerToken, sendUnauthorized } from '../http/bearer';
import { jsonErrorHandler, sendError } from '../http/errors';
import { jsonBody } from '../http/json-body';
import { guestProfile, isLocale, isTimeZone, verifyEmbedToken } from './identity';
import type { MessageLog } from './message-log';
import type { WebSessions, WebSignIn } from './sessions';
import { webAddress, type WebSurface } from './surface';
import { acceptUpload, uploadedFile } from './uploads';
import type { ChatState } from './wire';

export interface ApiDeps {
  settings: WebSettings;
  bot: CoreSettings;
  store: Store;
  sessions: WebSessions;
  surface: WebSurface;
  handler: UserEventHandler;
  streams: UserStreams;
  files: FileVault;
  log: MessageLog;
  clock: Clock;
  logger: Logger;
  chatState: (userId: string) => Promise<ChatState>;
  /** How far behind a reader of `/events` may fall before it is dropped. */
  eventStreams?: EventStreamLimits;
}

export const MAX_MESSAGE_CHARS = 10_000;
export const MAX_FILES_PER_MESSAGE = 10;
const JSON_LIMIT = 64 * 1024;

const clientId = z
  .string({
    required_error: 'is required (an id the client makes up per send, so a retry is not sent twice)',
    invalid_type_error: 'must be a string',
  })
  .regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8-64 letters, digits, "-" or "_"');

const sessionBody = z
  .object({
    token: z.string({ invalid_type_error: 'must be a string' }).min(1, 'must not be empty').optional(),
    locale: z.string().max(35).refine(isLocale, 'must be a BCP 47 locale such as "en-US"').optional(),
    timeZone: z.string().max(64).refine(isTimeZone, 'must be an IANA time zone such as "Europe/Paris"').optional(),
  })
  .strict();

const messageBody = z
  .object({
    id: clientId,
    text: z
      .string({ invalid_type_error: 'must be a string' })
      .max(MAX_MESSAGE_CHARS, `must be at most ${MAX_MESSAGE_CHARS.toLocaleString('en-US')} characters`)
      .default(''),
    files: z
      .array(z.string().min(1).max(64), { invalid_type_error: 'must be a list of file ids from POST /chat/api/files' })
      .max(MAX_FILES_PER_MESSAGE, `at most ${MAX_FILES_PER_MESSAGE} files per message`)
      .default([]),
  })
  .refine((b) => b.text.trim() !== '' || b.files.length > 0, { message: 'a message needs text or a file' });

const actionBody = z.object({
  id: clientId,
  messageId: z.string({ required_error: 'is required (the id of the card that was clicked)' }).min(1).max(100),
  data: z.record(z.unknown(), {
    required_error: "is required (the Action.Submit's data, with the card's input values merged in)",
    invalid_type_error: 'must be an object',
  }),
});

export function createApiRouter(deps: ApiDeps): Router {
  const api = express.Router();
  // express.json's contract, plus the bound on nesting every door has (json-bounds.ts).
  const json = jsonBody({ limit: JSON_LIMIT });
  const maxBytes = deps.bot.files.maxBytes;

  api.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  api.get('/config', (_req, res) => {
    res.json({
      title: deps.settings.title,
      signIn: deps.settings.secret
        ? deps.settings.allowGuests
          ? 'token_or_guest'
          : 'token'
        : deps.settings.allowGuests
          ? 'guest'
          : 'closed',
      stopPhrase: deps.bot.stopPhrases[0],
      files: { enabled: deps.bot.files.maxPerSession > 0, maxBytes, allowedTypes: deps.bot.files.allowedTypes },
    });
  });

  api.post('/session', json, async (req, res) => {
    // No body at all asks for a guest; a body that is not JSON is a mistake worth saying.
    const body = parse(sessionBody, req.body ?? (hasBody(req) ? undefined : {}), 'sign-in', '{"token": "..."} or {} for a guest');
    const { profile, guest } = identify(deps, body.token);
    // The browser's locale and zone fill what the token did not say (they only route the chat).
    const filled = {
      ...profile,
      ...(profile.locale || !body.locale ? {} : { locale: body.locale }),
      ...(profile.timeZone || !body.timeZone ? {} : { timeZone: body.timeZone }),
    };
    const { credential, signIn } = await deps.sessions.issue(filled, guest);
    deps.logger.info({ surface: 'web', userId: filled.id, guest }, 'web: signed in');
    res.status(201).json({ credential, user: userOf(signIn), expiresAt: signIn.expiresAt });
  });

  // Everything below needs a sign-in.
  api.use(requireSignIn(deps));

  api.get('/history', async (_req, res) => {
    const signIn = signInOf(res);
    const [log, state] = await Promise.all([deps.log.read(signIn.profile.id), deps.chatState(signIn.profile.id)]);
    res.json({ user: userOf(signIn), version: log.version, entries: log.entries, state });
  });

  api.get('/events', async (req, res) => {
    const signIn = signInOf(res);
    const { version } = await deps.log.read(signIn.profile.id);
    let disconnect = () => {};
    const stream = openEventStream(req, res, () => disconnect(), deps.eventStreams);
    disconnect = deps.streams.connect(signIn.profile.id, stream);
    stream.send('ready', { user: userOf(signIn), version });
  });

  api.post('/messages', json, async (req, res) => {
    const signIn = signInOf(res);
    const body = parse(messageBody, req.body, 'message', '{"id": "...", "text": "..."}');
    const userId = signIn.profile.id;
    const files = await Promise.all(body.files.map((id) => uploadedFile(deps.files, userId, id)));
    const { entry } = await deps.surface.recordUserMessage(userId, {
      clientId: body.id,
      text: body.text,
      files: files.map((f) => f.shown),
    });
    const status = await deps.handler.accept({
      type: 'message',
      // The log entry's id is stable across retries, so desks de-duplicate on it too.
      messageId: entry.id,
      text: body.text,
      ...(files.length ? { files: files.map((f) => f.ref) } : {}),
      ...eventBase(signIn, body.id),
    });
    res.status(202).json({ status, entry });
  });

  api.post('/actions', json, async (req, res) => {
    const signIn = signInOf(res);
    const body = parse(actionBody, req.body, 'card action', '{"id": "...", "messageId": "...", "data": {...}}');
    const action = parseCardAction(body.data);
    if (!action) {
      throw new BridgeError(ErrorCode.BadRequest, "Invalid card action. data: is not a button of this chat's cards.");
    }
    const log = await deps.log.read(signIn.profile.id);
    if (!log.entries.some((e) => e.id === body.messageId && e.card)) {
      throw new BridgeError(ErrorCode.NotFound, `No card ${body.messageId} in this conversation.`);
    }
    const event: UserEvent = { ...actionEvent(action, body.messageId), ...eventBase(signIn, body.id) };
    const status = await deps.handler.accept(event);
    res.status(202).json({ status });
  });

  api.post('/files', express.raw({ type: () => true, limit: maxBytes }), async (req, res) => {
    const signIn = signInOf(res);
    const file = await acceptUpload(
      { files: deps.files, store: deps.store, clock: deps.clock, limits: deps.bot.files, wording: deps.bot.messages.uploads },
      signIn.profile.id,
      req,
    );
    res.status(201).json({ file });
  });

  api.post('/typing', async (_req, res) => {
    await deps.handler.accept({ type: 'typing', ...eventBase(signInOf(res)) });
    res.status(204).end();
  });

  api.use((_req, res) => sendError(res, 404, ErrorCode.NotFound, 'No such web chat API endpoint.'));
  api.use(jsonErrorHandler(deps.logger, { scope: 'web', describeLimit: (p) => (p === '/files' ? formatBytes(maxBytes) : '64 KB') }));
  return api;
}

// ---------------------------------------------------------------------------------------------

function identify(deps: ApiDeps, token: string | undefined) {
  const { settings } = deps;
  if (token !== undefined) {
    if (!settings.secret) {
      throw new BridgeError(ErrorCode.Unauthorized, 'This chat does not accept sign-in tokens: web.secret (WEB_CHAT_SECRET) is not set.');
    }
    const profile = verifyEmbedToken(token, settings.secret, { now: deps.clock.now(), maxAgeSeconds: settings.tokenMaxAgeSeconds });
    return { profile, guest: false };
  }
  if (!settings.allowGuests) {
    throw new BridgeError(ErrorCode.Unauthorized, 'Sign in first: open this chat from your company site, which signs you in.');
  }
  return { profile: guestProfile(), guest: true };
}

function requireSignIn(deps: ApiDeps): RequestHandler {
  return async (req, res, next) => {
    const credential = bearerToken(req);
    const signIn = credential !== undefined ? await deps.sessions.resolve(credential) : undefined;
    if (!signIn) {
      return sendUnauthorized(
        res,
        credential !== undefined
          ? 'This sign-in has expired or is not valid. Sign in again.'
          : 'Sign in: send "Authorization: Bearer <credential>" from POST /chat/api/session.',
        'chat',
      );
    }
    res.locals.signIn = signIn;
    next();
  };
}

function signInOf(res: Response): WebSignIn {
  return res.locals.signIn as WebSignIn;
}

function userOf(signIn: WebSignIn) {
  return { id: signIn.profile.id, name: signIn.profile.name, guest: signIn.guest };
}

function eventBase(signIn: WebSignIn, clientMessageId?: string): { user: UserContext; dedupeKeys: string[] } {
  const id = signIn.profile.id;
  return {
    user: { surface: 'web', profile: signIn.profile, address: webAddress(id) },
    dedupeKeys: clientMessageId ? [`web:${id}:${clientMessageId}`] : [],
  };
}

type ClickEvent<E = UserEvent> = E extends { type: 'startChat' | 'submitDetails' | 'cancel' | 'broadcastAction' }
  ? Omit<E, 'user' | 'dedupeKeys'>
  : never;

function actionEvent(action: CardAction, messageId: string): ClickEvent {
  const source = { messageId };
  switch (action.lab) {
    case 'startChat':
      return { type: 'startChat' as const, offerId: action.offerId, source };
    case 'submitDetails':
      return { type: 'submitDetails' as const, offerId: action.offerId, description: action.description, topicId: action.topic, source };
    case 'cancel':
      return { type: 'cancel' as const, sessionId: action.sessionId, source };
    case 'broadcastAction':
      return { type: 'broadcastAction' as const, broadcastId: action.broadcastId, index: action.index, source };
  }
}

function hasBody(req: express.Request): boolean {
  const length = req.get('content-length');
  return req.get('transfer-encoding') !== undefined || (length !== undefined && length !== '0');
}

function parse<T extends z.ZodTypeAny>(schema: T, body: unknown, what: string, example: string): z.output<T> {
  if (body === undefined) {
    throw new BridgeError(ErrorCode.BadRequest, `Send a JSON body with "Content-Type: application/json", like ${example}.`);
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const parts = parsed.error.issues.map((i) =>
    i.path.length
      ? `${i.path.join('.')}: ${i.message}`
      : /expected object/i.test(i.message)
        ? `the body must be a JSON object like ${example}`
        : i.message,
  );
  throw new BridgeError(ErrorCode.BadRequest, `Invalid ${what}. ${parts.join('; ')}.`);
}
