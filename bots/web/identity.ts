/**
 * Who a web chat user is.
 *
 * An embedding site (the intranet) vouches for its signed-in employee with a short-lived token
 * signed with a secret it shares with the bridge (`web.secret`). The scheme is deliberately
 * small, so it can be produced in any language with nothing but HMAC-SHA256 and base64url:
 *
 *   payload   = UTF-8 JSON object:
 *                 sub     string, required: the stable user id (1-128 chars, not starting "guest-")
 *                 name    string, required: the display name agents see
 *                 email   string, optional
 *                 locale  string, optional: BCP 47, e.g. "fr-CA" (routes by language/region)
 *                 tz      string, optional: IANA time zone, e.g. "America/Toronto"
 *                 attributes  object, optional: up to 20 string values by name, e.g.
 *                         {"department": "hr"}, which desk routing rules may match
 *                 exp     number, required: expiry, seconds since the Unix epoch
 *               unknown keys are ignored
 *   p         = base64url(payload)                       (RFC 4648 §5, no "=" padding)
 *   s         = base64url(HMAC-SHA256(key = secret as UTF-8, message = p as ASCII))
 *   token     = p + "." + s
 *
 * The bridge refuses a token whose signature does not match, whose `exp` has passed, or whose
 * `exp` is more than `web.tokenMaxAgeSeconds` ahead (30 s of clock skew is tolerated both ways).
 *
 * Without a token, and when guests are allowed, the user gets a generated guest identity.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { BridgeError, ErrorCode } from '../core/errors';
import type { UserProfile } from '../core/ports';

/** The prefix of generated guest ids; tokens may not claim it, so a token can never be a guest. */
export const GUEST_PREFIX = 'guest-';
export const CLOCK_SKEW_SECONDS = 30;
/** Far above any sensible token; stops a megabyte "token" before any work is done on it. */
const MAX_TOKEN_LENGTH = 4096;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The payload as an embedding site writes it. */
export interface EmbedClaims {
  sub: string;
  name: string;
  email?: string;
  locale?: string;
  tz?: string;
  attributes?: Record<string, string>;
  exp: number;
}

const printable = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');

const claimsSchema = z.object({
  sub: printable(128).refine((s) => !s.startsWith(GUEST_PREFIX), `must not start with "${GUEST_PREFIX}" (reserved for guests)`),
  // Whitespace around a name is a formatting slip; around an id it would be a different id.
  name: printable(200)
    .transform((s) => s.trim())
    .refine((s) => s !== '', 'must not be blank'),
  email: printable(320).optional(),
  locale: printable(35).refine(isLocale, 'a BCP 47 locale such as "en-US"').optional(),
  tz: printable(64).refine(isTimeZone, 'an IANA time zone such as "Europe/Paris"').optional(),
  attributes: z
    .record(z.string().regex(/^[A-Za-z][\w.-]{0,63}$/, 'attribute names are letters, digits, "_", "." or "-"'), printable(200))
    .refine((a) => Object.keys(a).length <= 20, 'at most 20 attributes')
    .optional(),
  exp: z.number().int().positive(),
});

export interface VerifyOptions {
  /** Epoch milliseconds. */
  now: number;
  maxAgeSeconds: number;
}

/** Sign claims as an embedding site would (the reference implementation; also used by tests). */
export function signEmbedToken(claims: EmbedClaims, secret: string): string {
  const p = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
  return `${p}.${mac(secret, p).toString('base64url')}`;
}

/**
 * The profile a valid token vouches for. Throws `BridgeError('unauthorized')` saying what is
 * wrong (malformed, bad signature, expired, too long-lived), never which part of a signature.
 */
export function verifyEmbedToken(token: string, secret: string, options: VerifyOptions): UserProfile {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw unauthorized('The sign-in token is malformed.');
  const parts = token.trim().split('.');
  if (parts.length !== 2 || !BASE64URL.test(parts[0]) || !BASE64URL.test(parts[1])) {
    throw unauthorized('The sign-in token is malformed: expected "<payload>.<signature>" in base64url.');
  }
  const [p, s] = parts;
  // Authenticate before reading: nothing an outsider wrote is parsed.
  const expected = mac(secret, p);
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw unauthorized('The sign-in token signature is not valid.');
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    throw unauthorized('The sign-in token payload is not JSON.');
  }
  const parsed = claimsSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ');
    throw unauthorized(`The sign-in token payload is invalid (${issues}).`);
  }
  const claims = parsed.data;
  const nowSeconds = options.now / 1000;
  if (claims.exp + CLOCK_SKEW_SECONDS <= nowSeconds) throw unauthorized('The sign-in token has expired.');
  if (claims.exp - nowSeconds > options.maxAgeSeconds + CLOCK_SKEW_SECONDS) {
    throw unauthorized(`The sign-in token lives too long: its exp may be at most ${options.maxAgeSeconds} seconds ahead.`);
  }
  return {
    id: claims.sub,
    name: claims.name,
    ...(claims.email ? { email: claims.email } : {}),
    ...(claims.locale ? { locale: claims.locale } : {}),
    ...(claims.tz ? { timeZone: claims.tz } : {}),
    ...(claims.attributes && Object.keys(claims.attributes).length > 0 ? { attributes: claims.attributes } : {}),
  };
}

/** A fresh guest: 96 random bits, so ids cannot be guessed or collide. */
export function guestProfile(random: (n: number) => Buffer = randomBytes): UserProfile {
  const bytes = random(12);
  return { id: `${GUEST_PREFIX}${bytes.toString('base64url')}`, name: `Guest ${bytes.toString('hex').slice(0, 4).toUpperCase()}` };
}

export function isGuestId(id: string): boolean {
  return id.startsWith(GUEST_PREFIX);
}

export function isLocale(tag: string): boolean {
  try {
    new Intl.Locale(tag);
    return true;
  } catch {
    return false;
  }
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function mac(secret: string, message: string): Buffer {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(message, 'ascii').digest();
}

function unauthorized(message: string): BridgeError {
  return new BridgeError(ErrorCode.Unauthorized, message);
}
