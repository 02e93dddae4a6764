/**
 * A JSON body parser for the two endpoints every relayed message passes through (Teams activities
 * at `/api/messages`, agents' messages on the console API), doing what `express.json()` does for
 * the bodies they get with less work per request: express.json parses the content type several
 * times (type-is, content-type, media-typer), pipes through an iconv decoder and wraps the stream
 * in raw-body; together that was about 5% of the CPU of relaying a message.
 *
 * The same contract as express.json: only `application/json` is parsed (other types
 * leave `req.body` undefined); objects and arrays only (strict); an empty body is `{}`; errors are
 * http-errors-shaped with body-parser's `type` (`entity.too.large` 413, `entity.parse.failed`
 * 400, `request.aborted` 400), so the same error handlers word them. A body is refused past
 * `limit` without reading the rest into memory. What it does not do itself (compressed bodies,
 * a charset other than UTF-8) goes to express.json unchanged.
 *
 * One check express.json lacks: a body nested deeper than `maxDepth` (json-bounds.ts) is refused
 * with 400 (`entity.too.deep`), whichever path parsed it.
 */
import express from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BODY_MAX_DEPTH, checkJsonBounds } from './json-bounds';

/** Shaped like express.json's handler (not a route handler), so route params keep their types. */
type BodyParser = (req: IncomingMessage & { body?: unknown }, res: ServerResponse, next: (err?: unknown) => void) => void;

export interface JsonBodyOptions {
  /** Largest body accepted, in bytes. */
  limit: number;
  /** Deepest nesting accepted (objects and arrays); default `BODY_MAX_DEPTH`. */
  maxDepth?: number;
}

export function jsonBody(options: JsonBodyOptions): BodyParser {
  const { limit } = options;
  const maxDepth = options.maxDepth ?? BODY_MAX_DEPTH;
  const parsed = express.json({ limit });
  // What express.json parsed gets the same depth check.
  const fallback: BodyParser = (req, res, next) =>
    parsed(req as express.Request, res as express.Response, (err?: unknown) => (err ? next(err) : next(tooDeep(req.body, maxDepth))));
  return (req, res, next) => {
    const type = req.headers['content-type'];
    if (type === undefined || !isJsonType(type)) return next();
    const encoding = req.headers['content-encoding'];
    if ((encoding !== undefined && encoding.toLowerCase() !== 'identity') || !utf8Charset(type)) return fallback(req, res, next);
    if (!hasBody(req)) return next();
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) {
      return refuseAfterDrain(req, next, httpError(413, 'request entity too large', 'entity.too.large'));
    }

    const chunks: Buffer[] = [];
    let received = 0;
    let finished = false;
    const finish = (err?: Error) => {
      if (finished) return;
      finished = true;
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('aborted', onAborted);
      req.removeListener('error', onError);
      if (err) return next(err);
      const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received)).toString('utf8');
      try {
        req.body = parseStrict(text);
      } catch (e) {
        return next(httpError(400, (e as Error).message, 'entity.parse.failed'));
      }
      next(tooDeep(req.body, maxDepth));
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        req.removeListener('data', onData);
        finished = true;
        refuseAfterDrain(req, next, httpError(413, 'request entity too large', 'entity.too.large'));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onAborted = () => finish(httpError(400, 'request aborted', 'request.aborted'));
    const onError = (err: Error) => finish(httpError(400, err.message, 'request.aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onAborted);
    req.on('error', onError);
  };
}

function isJsonType(contentType: string): boolean {
  const semicolon = contentType.indexOf(';');
  const media = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return media === 'application/json';
}

/** No charset, or UTF-8: what this parser decodes. Anything else goes to express.json. */
function utf8Charset(contentType: string): boolean {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType);
  return match === null || /^utf-?8$/i.test(match[1]);
}

/** As type-is' hasBody: a body is announced by Transfer-Encoding or a Content-Length (even 0). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && !Number.isNaN(Number(length)));
}

/** body-parser's strict JSON: an object or an array, nothing else; an empty body is `{}`. */
function parseStrict(text: string): unknown {
  if (text.length === 0) return {};
  // JSON's own whitespace (space, tab, LF, CR) before the first token.
  const first = /^[ \t\n\r]*(.)/.exec(text)?.[1];
  if (first !== '{' && first !== '[')
    throw new SyntaxError(`Unexpected token ${first ?? 'end'} in JSON: only objects and arrays are accepted`);
  return JSON.parse(text);
}

/**
 * For receivers that read bodies themselves (Bolt): a body whose Content-Length is past `limit`
 * gets `answer` (a 413 in the receiver's words) once it has been read off, and nothing else runs.
 */
export function refuseDeclaredTooLarge(limit: number, answer: (res: ServerResponse) => void): BodyParser {
  return (req, res, next) => {
    const declared = req.headers['content-length'];
    if (declared === undefined || !(Number(declared) > limit)) return next();
    refuseAfterDrain(req, () => answer(res), new Error('too large'));
  };
}

/** Refuse once the rest of the body has been read off, so the client sees the answer, not a reset. */
function refuseAfterDrain(req: IncomingMessage, next: (err: Error) => void, err: Error): void {
  let done = false;
  const answer = () => {
    if (done) return;
    done = true;
    next(err);
  };
  req.on('end', answer);
  req.on('close', answer);
  req.resume();
}

/** The refusal of a body nested past `maxDepth` (the body is dropped), or undefined. */
function tooDeep(body: unknown, maxDepth: number): Error | undefined {
  if (body === undefined) return undefined;
  const problem = checkJsonBounds(body, { maxDepth });
  return problem ? httpError(400, `The request body is ${problem}.`, 'entity.too.deep') : undefined;
}

function httpError(status: number, message: string, type: string): Error {
  return Object.assign(new Error(message), { status, statusCode: status, expose: true, type });
}
