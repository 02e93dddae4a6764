/**
 * What a desk's webhook needs to know a request comes from its vendor: constant-time comparison,
 * HMAC signatures (hex or base64, with or without an `sha1=`-style prefix), a timestamp window
 * against replays, `Authorization` header parsing, and self-issued expiring tokens (for vendors
 * whose outbound calls fetch an OAuth token from us first: the tokens are HMACs, so any process
 * can check them and none are stored).
 *
 * Every comparison of a secret or a MAC goes through `safeEqual`: an early-exit `===` tells an
 * attacker how many leading characters were right.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';

/** Constant-time string equality (hashing first makes the lengths equal); false for undefined. */
export function safeEqual(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const ha = createHmac('sha256', 'cmp').update(a).digest();
  const hb = createHmac('sha256', 'cmp').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export function hmac(algorithm: HmacAlgorithm, secret: string, data: string | Buffer): Buffer {
  return createHmac(algorithm, secret).update(data).digest();
}

export interface SignatureCheck {
  /** The header's value as sent. */
  given: string | undefined;
  secret: string;
  algorithm: HmacAlgorithm;
  /** What may have been signed: the raw body, and any other form the vendor documents. */
  signed: (string | Buffer)[];
  /** Stripped from `given` first, e.g. /^sha1=/i. */
  prefix?: RegExp;
}

/** Whether `given` is the HMAC of one of `signed`, as hex (any case) or base64. */
export function signatureMatches(check: SignatureCheck): boolean {
  if (!check.given) return false;
  const value = check.prefix ? check.given.trim().replace(check.prefix, '') : check.given.trim();
  return check.signed.some((data) => {
    const digest = hmac(check.algorithm, check.secret, data);
    return safeEqual(value.toLowerCase(), digest.toString('hex')) || safeEqual(value, digest.toString('base64'));
  });
}

/**
 * Whether a signed request's timestamp (seconds since the epoch, as vendors send it) is within
 * `windowMs` of `nowMs` either way: an old request replayed with its valid signature is refused.
 */
export function withinWindow(timestamp: string | number | undefined, nowMs: number, windowMs: number): boolean {
  const seconds = typeof timestamp === 'string' ? (/^\d{1,12}$/.test(timestamp.trim()) ? Number(timestamp) : Number.NaN) : timestamp;
  if (seconds === undefined || !Number.isFinite(seconds)) return false;
  return Math.abs(nowMs - seconds * 1000) <= windowMs;
}

/** A header's first value (Node joins some, repeats others as arrays). */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** `[user, password]` from `Authorization: Basic …`, else undefined. */
export function basicCredentials(authorization: string | undefined): [string, string] | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? [decoded, ''] : [decoded.slice(0, i), decoded.slice(i + 1)];
}

/** The token of `Authorization: Bearer <token>`, else undefined. */
export function bearerCredential(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
}

/**
 * Bearer tokens we issue and later check: `v1.<expiry, base 36>.<nonce>.<mac>`, the MAC an
 * HMAC-SHA256 over `<purpose>:<the rest>` with the secret, so a token made for one purpose is no
 * good for another.
 */
export class ExpiringTokens {
  constructor(
    private readonly secret: string,
    private readonly purpose: string,
  ) {}

  issue(expiresAtMs: number): string {
    const body = `v1.${expiresAtMs.toString(36)}.${randomBytes(12).toString('base64url')}`;
    return `${body}.${this.mac(body)}`;
  }

  /** Whether `token` was issued by `issue` with this secret and purpose, and is not expired at `nowMs`. */
  valid(token: string, nowMs: number): boolean {
    const parts = token.split('.');
    if (parts.length !== 4 || parts[0] !== 'v1') return false;
    const body = parts.slice(0, 3).join('.');
    if (!safeEqual(parts[3], this.mac(body))) return false;
    return nowMs < Number.parseInt(parts[1], 36);
  }

  private mac(body: string): string {
    return hmac('sha256', this.secret, `${this.purpose}:${body}`).toString('base64url');
  }
}
