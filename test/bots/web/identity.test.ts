import { createHmac } from 'node:crypto';
import { isBridgeError } from '../../../bots/core/errors';
import { guestProfile, isGuestId, signEmbedToken, verifyEmbedToken, type EmbedClaims } from '../../../bots/web/identity';
import { loadConfig } from '../../../config/load';

const SECRET = 'unit-test-secret-0123456789abcdefghij';
const NOW = Date.UTC(2025, 5, 2, 12, 0, 0);
const nowS = NOW / 1000;
const opts = { now: NOW, maxAgeSeconds: 3600 };

/** What an intranet in any language would write, straight from the documented scheme. */
function independentSign(payload: object, secret: string): string {
  const p = Buffer.from(JSON.stringify(payload)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const s = createHmac('sha256', secret).update(p).digest('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `${p}.${s}`;
}

function rejects(token: string, pattern: RegExp, options = opts, secret = SECRET): void {
  let error: unknown;
  try {
    verifyEmbedToken(token, secret, options);
  } catch (e) {
    error = e;
  }
  expect(isBridgeError(error, 'unauthorized')).toBe(true);
  expect((error as Error).message).toMatch(pattern);
}

describe('embed tokens (HMAC-SHA256 over the base64url payload)', () => {
  const claims: EmbedClaims = {
    sub: 'e42',
    name: 'Ana Lima',
    email: 'ana@example.com',
    locale: 'pt-BR',
    tz: 'America/Sao_Paulo',
    exp: nowS + 600,
  };

  it('accepts a valid token and yields the profile it vouches for', () => {
    expect(verifyEmbedToken(signEmbedToken(claims, SECRET), SECRET, opts)).toEqual({
      id: 'e42',
      name: 'Ana Lima',
      email: 'ana@example.com',
      locale: 'pt-BR',
      timeZone: 'America/Sao_Paulo',
    });
  });

  it('accepts a token made by an independent implementation of the documented scheme, ignoring unknown keys', () => {
    const token = independentSign({ sub: 'e7', name: '  Bo  ', exp: nowS + 60, department: 'IT' }, SECRET);
    expect(verifyEmbedToken(token, SECRET, opts)).toEqual({ id: 'e7', name: 'Bo' });
  });

  it('refuses expired tokens, allowing 30 s of clock skew', () => {
    rejects(signEmbedToken({ ...claims, exp: nowS - 31 }, SECRET), /expired/);
    expect(() => verifyEmbedToken(signEmbedToken({ ...claims, exp: nowS - 29 }, SECRET), SECRET, opts)).not.toThrow();
  });

  it('refuses tokens that live longer than the configured maximum', () => {
    rejects(signEmbedToken({ ...claims, exp: nowS + 3600 + 31 }, SECRET), /lives too long.*3600 seconds/);
    expect(() => verifyEmbedToken(signEmbedToken({ ...claims, exp: nowS + 3600 }, SECRET), SECRET, opts)).not.toThrow();
  });

  it('refuses tampered payloads and signatures, and other secrets', () => {
    const [p, s] = signEmbedToken(claims, SECRET).split('.');
    const other = Buffer.from(JSON.stringify({ ...claims, sub: 'ceo' })).toString('base64url');
    rejects(`${other}.${s}`, /signature is not valid/);
    rejects(`${p}.${s.slice(0, -1)}${s.endsWith('A') ? 'B' : 'A'}`, /signature is not valid/);
    rejects(`${p}.${s.slice(0, 20)}`, /signature is not valid/);
    rejects(signEmbedToken(claims, `${SECRET}x`), /signature is not valid/);
  });

  it('refuses malformed tokens before any work', () => {
    for (const token of ['', 'abc', 'a.b.c', 'a b.c', `${'a'.repeat(5000)}.b`]) rejects(token, /malformed/);
    rejects(independentSign({ sub: 'x' } as object, SECRET).replace(/^[^.]+/, Buffer.from('not json').toString('base64url')), /signature/);
    const notJson = Buffer.from('not json').toString('base64url');
    rejects(`${notJson}.${createHmac('sha256', SECRET).update(notJson).digest('base64url')}`, /not JSON/);
  });

  it('refuses payloads without the required claims or with bad values, saying which', () => {
    rejects(independentSign({ name: 'x', exp: nowS + 60 }, SECRET), /sub: Required/);
    rejects(independentSign({ sub: 'x', exp: nowS + 60 }, SECRET), /name: Required/);
    rejects(independentSign({ sub: 'x', name: 'x' }, SECRET), /exp: Required/);
    rejects(independentSign({ sub: 'x', name: 'x', exp: String(nowS + 60) }, SECRET), /exp: Expected number/);
    rejects(independentSign({ sub: 'x', name: 'x', exp: nowS + 60, locale: 'not a locale!' }, SECRET), /locale: a BCP 47 locale/);
    rejects(independentSign({ sub: 'x', name: 'x', exp: nowS + 60, tz: 'Mars/Olympus' }, SECRET), /tz: an IANA time zone/);
    rejects(independentSign({ sub: 'a\nb', name: 'x', exp: nowS + 60 }, SECRET), /control characters/);
    rejects(independentSign({ sub: 'guest-abc', name: 'x', exp: nowS + 60 }, SECRET), /reserved for guests/);
  });
});

describe('guest identities', () => {
  it('are random, unguessable and marked as guests', () => {
    const a = guestProfile();
    const b = guestProfile();
    expect(a.id).toMatch(/^guest-[A-Za-z0-9_-]{16}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.name).toMatch(/^Guest [0-9A-F]{4}$/);
    expect(isGuestId(a.id)).toBe(true);
    expect(isGuestId('e42')).toBe(false);
  });
});

describe('web chat configuration', () => {
  it('allows guests exactly when no secret is set, unless told otherwise', () => {
    expect(loadConfig({ env: {} }).web).toMatchObject({ enabled: true, allowGuests: true, tokenMaxAgeSeconds: 3600 });
    expect(loadConfig({ env: { WEB_CHAT_SECRET: SECRET } }).web).toMatchObject({ secret: SECRET, allowGuests: false });
    expect(loadConfig({ env: { WEB_CHAT_SECRET: SECRET, WEB_CHAT_ALLOW_GUESTS: 'true' } }).web.allowGuests).toBe(true);
    expect(loadConfig({ env: { WEB_CHAT_ENABLED: 'false' } }).web.enabled).toBe(false);
  });

  it('refuses a short secret and a non-boolean flag, naming the variable', () => {
    expect(() => loadConfig({ env: { WEB_CHAT_SECRET: 'short' } })).toThrow(
      /web\.secret \(from environment variable WEB_CHAT_SECRET\): at least 32 characters/,
    );
    expect(() => loadConfig({ env: { WEB_CHAT_ENABLED: 'maybe' } })).toThrow(/web\.enabled \(from environment variable WEB_CHAT_ENABLED\)/);
  });
});

describe('routing attributes in embed tokens', () => {
  const base = { sub: 'e1', name: 'Eve', exp: nowS + 300 };

  it('carries the attributes the intranet vouches for into the profile', () => {
    const token = independentSign({ ...base, attributes: { department: 'hr', 'cost.center': 'C-17' } }, SECRET);
    expect(verifyEmbedToken(token, SECRET, opts).attributes).toEqual({ department: 'hr', 'cost.center': 'C-17' });
    expect(verifyEmbedToken(independentSign({ ...base, attributes: {} }, SECRET), SECRET, opts)).not.toHaveProperty('attributes');
  });

  it('refuses odd names, non-string values and more than twenty', () => {
    rejects(independentSign({ ...base, attributes: { 'no spaces': 'x' } }, SECRET), /attribute names are letters/);
    rejects(independentSign({ ...base, attributes: { level: 3 } }, SECRET), /attributes\.level/);
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`a${i}`, 'v']));
    rejects(independentSign({ ...base, attributes: many }, SECRET), /at most 20 attributes/);
  });
});
