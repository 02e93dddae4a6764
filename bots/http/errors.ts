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

export function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/** An explicit status on the error wins (an upstream status carried through); else by code. */
export function statusOf(err: BridgeError): number {
  if (err.status !== undefined && err.status >= 400 && err.status < 600) return err.status;
  return STATUS_BY_CODE[err.code] ?? 500;
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
    if (isBridgeError(err)) {
      const status = statusOf(err);
      if (status >= 500) logger.error(log, `${options.scope}: request failed`);
      const message = status >= 500 && err.code === ErrorCode.Unknown ? 'Something went wrong on our side.' : err.message;
      return sendError(res, status, err.code, message);
    }
    logger.error(log, `${options.scope}: unexpected error`);
    sendError(res, 500, ErrorCode.Unknown, 'Something went wrong on our side.');
  };
}
