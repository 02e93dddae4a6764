/**
 * Typed errors with stable codes. Callers branch on `code`, never on message text.
 * Edges (HTTP handlers, surface glue) turn these into wire responses.
 */

export const ErrorCode = {
  ConfigInvalid: 'config_invalid',
  DeskUnavailable: 'desk_unavailable',
  DeskRejected: 'desk_rejected',
  DeskAuthFailed: 'desk_auth_failed',
  UnknownSession: 'unknown_session',
  SurfaceSendFailed: 'surface_send_failed',
  SurfaceUnavailable: 'surface_unavailable',
  StoreUnavailable: 'store_unavailable',
  Unauthorized: 'unauthorized',
  /** Authenticated, but not allowed to do this (e.g. an agent posting to a chat they have not joined). */
  Forbidden: 'forbidden',
  BadRequest: 'bad_request',
  NotFound: 'not_found',
  Conflict: 'conflict',
  FileRejected: 'file_rejected',
  Unknown: 'unknown_error',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface BridgeErrorOptions {
  cause?: unknown;
  /** Whether trying again later may succeed (429, 5xx, timeouts). */
  retryable?: boolean;
  /** HTTP status from upstream, or the one an edge should answer with. */
  status?: number;
  /** Upstream text, kept out of the message so messages stay stable. */
  details?: unknown;
}

export class BridgeError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly status?: number;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options: BridgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BridgeError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.status = options.status;
    this.details = options.details;
  }
}

/** Wrap anything thrown into a BridgeError so one sink can handle all failures. */
export function asBridgeError(e: unknown): BridgeError {
  if (e instanceof BridgeError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new BridgeError(ErrorCode.Unknown, message, { cause: e });
}

export function isBridgeError(e: unknown, code?: ErrorCode): e is BridgeError {
  return e instanceof BridgeError && (code === undefined || e.code === code);
}
