/**
 * `Authorization: Bearer …` for every API the bridge serves: reading the token, checking a fixed
 * configured one, and the 401 with its challenge. Each API words its own refusal.
 * Tokens travel only in this header: never in URLs, which end up in proxy logs and history.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { ErrorCode } from '../core/errors';
import { sendError } from './errors';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The token of an `Authorization: Bearer <token>` header (blanks around it allowed), else undefined. */
export function bearerToken(req: Request): string | undefined {
  return BEARER.exec(req.get('authorization') ?? '')?.[1];
}

/**
 * Whether the request carries exactly `expected` (a configured token, which may hold any
 * character, so everything after "Bearer " is the token), compared in constant time.
 */
export function hasBearer(req: Request, expected: Buffer): boolean {
  const given = Buffer.from(/^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** 401 with a Bearer challenge (naming `realm` when given) and the API's own words. */
export function sendUnauthorized(res: Response, message: string, realm?: string): void {
  res.set('WWW-Authenticate', realm ? `Bearer realm="${realm}"` : 'Bearer');
  sendError(res, 401, ErrorCode.Unauthorized, message);
}
