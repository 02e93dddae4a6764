/**
 * The one place console API errors become HTTP responses: `{ "error": { "code", "message" } }`
 * with a status chosen from the error code. Messages of unexpected errors are not echoed (they
 * may carry internals); the full error goes to the log instead.
 */
import type { ErrorRequestHandler, Response } from 'express';
import { BridgeError, ErrorCode, isBridgeError } from '../../../bots/core/errors';
import type { Logger } from '../../../bots/core/ports';

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

/** Body-parser failures, in words a person can act on. */
const BODY_ERRORS: Record<string, [number, string]> = {
  'entity.parse.failed': [400, 'The request body is not valid JSON.'],
  'entity.too.large': [413, 'The request body is too large (64 KB at most).'],
  'encoding.unsupported': [415, 'The request body encoding is not supported.'],
  'charset.unsupported': [415, 'Send the body as UTF-8 JSON.'],
  'request.aborted': [400, 'The request was aborted before its body arrived.'],
};

export function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

export function statusOf(err: BridgeError): number {
  // An explicit status wins (an upstream status carried through).
  if (err.status !== undefined && err.status >= 400 && err.status < 600) return err.status;
  return STATUS_BY_CODE[err.code] ?? 500;
}

export function consoleErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const bodyError = typeof err?.type === 'string' ? BODY_ERRORS[err.type] : undefined;
    if (bodyError) return sendError(res, bodyError[0], ErrorCode.BadRequest, bodyError[1]);
    if (isBridgeError(err)) {
      const status = statusOf(err);
      if (status >= 500) logger.error({ err, method: req.method, path: req.path }, 'console: request failed');
      const code = err.code;
      const message = status >= 500 && err.code === ErrorCode.Unknown ? 'Something went wrong on our side.' : err.message;
      return sendError(res, status, code, message);
    }
    logger.error({ err, method: req.method, path: req.path }, 'console: unexpected error');
    sendError(res, 500, ErrorCode.Unknown, 'Something went wrong on our side.');
  };
}
