/**
 * Checks that a POST to our webhook comes from the instance. ServiceNow's outbound REST config
 * offers a Basic or OAuth 2.0 credential and up to 10 static headers; an HMAC is possible with a
 * scripted outbound. One mode is configured; everything else gets a 401.
 *
 * - `header`: a static header (default `token`, like ServiceNow's own message auth) equal to the secret.
 * - `basic`: `Authorization: Basic base64(username:secret)`.
 * - `oauth`: `Authorization: Bearer <token>` from our token endpoint (client credentials grant;
 *   tokens are self-contained HMACs, so any process can check them and none are stored).
 * - `signature`: hex (or base64) HMAC-SHA1 of the body with the secret, over the raw bytes or
 *   their compact JSON form (the two recipes ServiceNow documents for `x-b2b-signature`).
 *
 * Comparisons are constant-time.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../../../bots/core/ports';
import type { WebhookAuthSettings } from './config';

export interface TokenGrant {
  grantType?: string;
  clientId?: string;
  clientSecret?: string;
}

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export class WebhookAuth {
  constructor(
    private readonly settings: WebhookAuthSettings,
    private readonly clock: Clock,
  ) {}

  get mode(): WebhookAuthSettings['mode'] {
    return this.settings.mode;
  }

  verify(headers: IncomingHttpHeaders, raw: Buffer): boolean {
    const s = this.settings;
    switch (s.mode) {
      case 'header':
        return same(header(headers, s.header ?? 'token'), s.secret);
      case 'basic': {
        const m = /^Basic\s+(\S+)$/i.exec(header(headers, 'authorization') ?? '');
        return !!m && same(Buffer.from(m[1], 'base64').toString('utf8'), `${s.username}:${s.secret}`);
      }
      case 'oauth': {
        const m = /^Bearer\s+(\S+)$/i.exec(header(headers, 'authorization') ?? '');
        return !!m && this.tokenValid(m[1]);
      }
      case 'signature':
        return signatureMatches(header(headers, s.header ?? 'x-b2b-signature'), raw, s.secret);
    }
  }

  /** Client-credentials grant for ServiceNow's OAuth profile; undefined when refused. */
  issueToken(grant: TokenGrant): IssuedToken | undefined {
    const s = this.settings;
    if (s.mode !== 'oauth' || grant.grantType !== 'client_credentials') return undefined;
    if (!same(grant.clientId, s.clientId ?? '') || !same(grant.clientSecret, s.secret)) return undefined;
    const body = `v1.${(this.clock.now() + s.tokenTtlSeconds * 1000).toString(36)}.${randomBytes(12).toString('base64url')}`;
    return { access_token: `${body}.${this.mac(body)}`, token_type: 'Bearer', expires_in: s.tokenTtlSeconds };
  }

  private tokenValid(token: string): boolean {
    const parts = token.split('.');
    if (parts.length !== 4 || parts[0] !== 'v1') return false;
    const body = parts.slice(0, 3).join('.');
    if (!same(parts[3], this.mac(body))) return false;
    return this.clock.now() < parseInt(parts[1], 36);
  }

  private mac(body: string): string {
    return createHmac('sha256', this.settings.secret).update(`webhook-token:${body}`).digest('base64url');
  }
}

function signatureMatches(given: string | undefined, raw: Buffer, secret: string): boolean {
  if (!given) return false;
  const value = given.trim().replace(/^sha1=/i, '');
  const candidates: (string | Buffer)[] = [raw];
  try {
    candidates.push(JSON.stringify(JSON.parse(raw.toString('utf8'))));
  } catch {
    // Not JSON: only the raw form can match; the route rejects the body afterwards anyway.
  }
  return candidates.some((text) => {
    const digest = createHmac('sha1', secret).update(text).digest();
    return same(value.toLowerCase(), digest.toString('hex')) || same(value, digest.toString('base64'));
  });
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Constant-time string equality (hashing first makes the lengths equal). */
export function same(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const ha = createHmac('sha256', 'cmp').update(a).digest();
  const hb = createHmac('sha256', 'cmp').update(b).digest();
  return timingSafeEqual(ha, hb);
}
