/**
 * The kit's webhook helpers: constant-time comparison, HMAC signatures in the encodings vendors
 * send, the replay window, `Authorization` parsing and self-issued expiring tokens. Signatures
 * are computed here independently with node:crypto, so a helper that signs wrongly cannot agree
 * with itself.
 */
import { createHmac } from 'node:crypto';
import {
  basicCredentials,
  bearerCredential,
  ExpiringTokens,
  headerValue,
  safeEqual,
  signatureMatches,
  withinWindow,
} from '../../../../adapters/desks/kit/webhook-signature';

const secret = 'shared-secret';
const body = Buffer.from('{"chat":"c1","text":"hi"}');
const sign = (algorithm: string, data: string | Buffer, key = secret) => createHmac(algorithm, key).update(data).digest();

describe('kit safeEqual', () => {
  it('is equality, false for undefined, whatever the lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual(undefined, '')).toBe(false);
  });
});

describe('kit signatureMatches', () => {
  const check = (given: string | undefined, extra: Partial<Parameters<typeof signatureMatches>[0]> = {}) =>
    signatureMatches({ given, secret, algorithm: 'sha256', signed: [body], ...extra });

  it('accepts the HMAC of the body as hex (any case) or base64, with a prefix stripped', () => {
    const digest = sign('sha256', body);
    expect(check(digest.toString('hex'))).toBe(true);
    expect(check(digest.toString('hex').toUpperCase())).toBe(true);
    expect(check(digest.toString('base64'))).toBe(true);
    expect(check(` sha256=${digest.toString('hex')} `, { prefix: /^sha256=/i })).toBe(true);
    expect(check(`sha256=${digest.toString('hex')}`)).toBe(false);
  });

  it('refuses a wrong secret, another body, another algorithm, and a missing header', () => {
    expect(check(sign('sha256', body, 'other').toString('hex'))).toBe(false);
    expect(check(sign('sha256', 'another body').toString('hex'))).toBe(false);
    expect(check(sign('sha1', body).toString('hex'))).toBe(false);
    expect(check(undefined)).toBe(false);
    expect(check('')).toBe(false);
  });

  it('matches any of the documented signed forms', () => {
    const compact = '{"a":1}';
    const given = sign('sha1', compact).toString('hex');
    expect(signatureMatches({ given, secret, algorithm: 'sha1', signed: [Buffer.from('{ "a": 1 }'), compact] })).toBe(true);
    expect(signatureMatches({ given, secret, algorithm: 'sha1', signed: [Buffer.from('{ "a": 1 }')] })).toBe(false);
  });
});

describe('kit withinWindow', () => {
  const now = Date.UTC(2025, 0, 6, 9);
  const seconds = now / 1000;
  it('accepts a timestamp within the window either way, refuses older, later and unreadable ones', () => {
    expect(withinWindow(String(seconds), now, 300_000)).toBe(true);
    expect(withinWindow(seconds - 300, now, 300_000)).toBe(true);
    expect(withinWindow(seconds + 300, now, 300_000)).toBe(true);
    expect(withinWindow(seconds - 301, now, 300_000)).toBe(false);
    expect(withinWindow(String(seconds + 301), now, 300_000)).toBe(false);
    expect(withinWindow('yesterday', now, 300_000)).toBe(false);
    expect(withinWindow('1e9', now, 300_000)).toBe(false);
    expect(withinWindow(undefined, now, 300_000)).toBe(false);
  });
});

describe('kit header parsing', () => {
  it('reads the first value of a header, Basic credentials (colons in the password kept) and a Bearer token', () => {
    expect(headerValue({ 'x-sig': ['a', 'b'] }, 'X-Sig')).toBe('a');
    expect(headerValue({ 'x-sig': 'a' }, 'x-sig')).toBe('a');
    expect(headerValue({}, 'x-sig')).toBeUndefined();
    const basic = `Basic ${Buffer.from('bridge:pa:ss').toString('base64')}`;
    expect(basicCredentials(basic)).toEqual(['bridge', 'pa:ss']);
    expect(basicCredentials(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toEqual(['nocolon', '']);
    expect(basicCredentials('Bearer abc')).toBeUndefined();
    expect(basicCredentials(undefined)).toBeUndefined();
    expect(bearerCredential('bearer abc.def')).toBe('abc.def');
    expect(bearerCredential(basic)).toBeUndefined();
  });
});

describe('kit ExpiringTokens', () => {
  const now = Date.UTC(2025, 0, 6, 9);
  it('accepts its own token until it expires; not another secret’s, another purpose’s or an altered one', () => {
    const tokens = new ExpiringTokens(secret, 'webhook-token');
    const token = tokens.issue(now + 60_000);
    expect(tokens.valid(token, now)).toBe(true);
    expect(tokens.valid(token, now + 59_999)).toBe(true);
    expect(tokens.valid(token, now + 60_000)).toBe(false);
    expect(new ExpiringTokens('other', 'webhook-token').valid(token, now)).toBe(false);
    expect(new ExpiringTokens(secret, 'file-token').valid(token, now)).toBe(false);
    // A later expiry written into the token breaks its MAC.
    const [v, , nonce, mac] = token.split('.');
    expect(tokens.valid([v, (now + 3_600_000).toString(36), nonce, mac].join('.'), now)).toBe(false);
    expect(tokens.valid('garbage', now)).toBe(false);
    expect(tokens.issue(now + 60_000)).not.toBe(token);
  });
});
