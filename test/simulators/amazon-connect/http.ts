/**
 * The little HTTP the simulator needs: JSON bodies in, JSON or AWS errors out, routes by method
 * and path. AWS's restJson1 errors are a status, an `x-amzn-ErrorType` header (which the SDK
 * reads first to pick the exception class) and a `{"message"}` body.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Thrown by a handler; the server turns it into the AWS error response. */
export class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

export const validation = (message: string) => new AwsError(400, 'ValidationException', message);
export const accessDenied = (message: string) => new AwsError(403, 'AccessDeniedException', message);

export interface RouteRequest {
  req: IncomingMessage;
  url: URL;
  params: Record<string, string>;
  body: Buffer;
  /** The body parsed as JSON (an empty body is `{}`). */
  json(): Record<string, unknown>;
}

export interface RouteResult {
  status?: number;
  json?: unknown;
  headers?: Record<string, string>;
  raw?: Buffer;
}

export interface Route {
  /** Operation name, for faults and the request log (e.g. `SendMessage`). */
  operation: string;
  method: string;
  /** Path with `{Name}` segments. */
  path: string;
  /** `sigv4`: the Connect API, which needs an Authorization header (its signature is not checked). */
  auth?: 'sigv4';
  /** Largest body accepted (default 1 MB). */
  bodyLimit?: number;
  handle(request: RouteRequest): Promise<RouteResult> | RouteResult;
}

export function match(route: Route, method: string, pathname: string): Record<string, string> | undefined {
  if (route.method !== method) return undefined;
  const want = route.path.split('/');
  const got = pathname.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    if (w.startsWith('{') && w.endsWith('}')) params[w.slice(1, -1)] = decodeURIComponent(got[i]);
    else if (w !== got[i]) return undefined;
  }
  return params;
}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength;
    if (size > limit) throw new AwsError(413, 'ValidationException', `Request body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function parseJson(body: Buffer): Record<string, unknown> {
  if (body.byteLength === 0) return {};
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through: the same answer as a body that is JSON but not an object
  }
  throw new AwsError(400, 'SerializationException', 'Request body is not a JSON object');
}

export function send(res: ServerResponse, result: RouteResult): void {
  const requestId = randomUUID();
  const headers: Record<string, string> = { 'x-amzn-RequestId': requestId, ...result.headers };
  if (result.raw) {
    res.writeHead(result.status ?? 200, headers);
    res.end(result.raw);
    return;
  }
  const body = JSON.stringify(result.json ?? {});
  res.writeHead(result.status ?? 200, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

export function sendError(res: ServerResponse, error: AwsError): void {
  send(res, { status: error.status, headers: { 'x-amzn-ErrorType': error.errorType }, json: { message: error.message } });
}

// Field checks shared by the routes; each names the field the way AWS's messages do.

export function str(
  body: Record<string, unknown>,
  key: string,
  opts: { required?: boolean; min?: number; max?: number } = {},
): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) {
    if (opts.required)
      throw validation(`1 validation error detected: Value null at '${key}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof value !== 'string') throw validation(`'${key}' must be a string`);
  if (opts.min !== undefined && value.length < opts.min) throw validation(`'${key}' must have length at least ${opts.min}`);
  if (opts.max !== undefined && value.length > opts.max) throw validation(`'${key}' must have length at most ${opts.max}`);
  return value;
}

export function int(body: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw validation(`'${key}' must be an integer between ${min} and ${max}`);
  }
  return value;
}
