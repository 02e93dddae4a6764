/**
 * The one place API errors become HTTP responses, for every JSON API the bridge serves (agent
 * console, web chat, broadcasts): `{ "error": { "code", "message" } }` with a status chosen from
 * the error code. Messages of unexpected errors are not echoed (they may carry internals); the
 * full error goes to the log.
 */
import type { ErrorRequestHandler, Response } from 'express';
import { ErrorCode, isBridgeError, type BridgeError } from '../core/errors';
import type { Logger } from '../core/ports';

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.BadRequest]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.UnknownSession]: 404,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.FileRejected]: 422,
  [ErrorCode.SurfaceSendFailed]: 502,
  [ErrorCode.SurfaceUnavailable]: 503,
  [ErrorCode.DeskUnavailable]: 503,
  [ErrorCode.StoreUnavailable]: 503,
};

/**
 * `Retry-After` on a 503 (RFC 9110), in seconds: long enough for a Redis restart or failover to be
 * noticed (the store's health is checked every second, reconnects back off to 2 s), short enough
 * that a platform retrying on its own schedule is not slowed by it.
 */
export const RETRY_AFTER_SECONDS = 5;

/** What a caller reads when the store cannot serve the request; the cause goes to the log. */
export const STORE_UNAVAILABLE_MESSAGE = 'The bridge cannot reach its store right now. Try again in a few seconds.';

/** Says when to try again on an answer worth retrying as it is (503). */
export function setRetryAfter(res: Response, status: number): void {
  if (status === 503) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
}

export function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/** An explicit status on the error wins (an upstream status carried through); else by code. */
export function statusOf(err: BridgeError): number {
  if (err.status !== undefined && err.status >= 400 && err.status < 600) return err.status;
  return STATUS_BY_CODE[err.code] ?? 500;
}

/** The status and body an error is answered with (what `jsonErrorHandler` sends for it). */
export function errorAnswer(err: unknown): { status: number; body: { error: { code: string; message: string } } } {
  if (!isBridgeError(err))
    return { status: 500, body: { error: { code: ErrorCode.Unknown, message: 'Something went wrong on our side.' } } };
  const status = statusOf(err);
  // The store's own message names the failed command and the network error: for the log only.
  const message =
    err.code === ErrorCode.StoreUnavailable
      ? STORE_UNAVAILABLE_MESSAGE
      : status >= 500 && err.code === ErrorCode.Unknown
        ? 'Something went wrong on our side.'
        : err.message;
  return { status, body: { error: { code: err.code, message } } };
}

export interface ErrorHandlerOptions {
  /** Names the API in logs ("console", "web"). */
  scope: string;
  /** Words the limit in a 413 for a path (uploads and JSON bodies differ). */
  describeLimit?: (path: string) => string;
}

/** Express error handler: body-parser failures in words a person can act on, then BridgeErrors. */
export function jsonErrorHandler(logger: Logger, options: ErrorHandlerOptions): ErrorRequestHandler {
  const limit = options.describeLimit ?? (() => '64 KB');
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    switch (typeof err?.type === 'string' ? err.type : '') {
      case 'entity.parse.failed':
        return sendError(res, 400, ErrorCode.BadRequest, 'The request body is not valid JSON.');
      case 'entity.too.deep':
        return sendError(res, 400, ErrorCode.BadRequest, err.message);
      case 'entity.too.large':
        return sendError(res, 413, ErrorCode.BadRequest, `The request body is too large (${limit(req.path)} at most).`);
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return sendError(res, 415, ErrorCode.BadRequest, 'Send the body as UTF-8.');
      case 'request.aborted':
        return sendError(res, 400, ErrorCode.BadRequest, 'The request was aborted before its body arrived.');
    }
    const log = { err, api: options.scope, method: req.method, path: req.path };
    const { status, body } = errorAnswer(err);
    if (status >= 500) logger.error(log, isBridgeError(err) ? `${options.scope}: request failed` : `${options.scope}: unexpected error`);
    setRetryAfter(res, status);
    res.status(status).json(body);
  };
}
