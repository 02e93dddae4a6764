/**
 * How the simulated instance checks callers (agent-apis.md §1.2): Basic, OAuth 2.0 bearer tokens
 * from its own `/oauth_token.do`, and, on the VA API only, message auth: the `token` header (or
 * a `token` field in the body, which some integrations send) or `x-b2b-signature`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface SimAuthOptions {
  basic?: { username: string; password: string };
  oauth?: { clientId: string; clientSecret: string; username?: string; password?: string; tokenTtlSeconds?: number };
}

export interface SimMessageAuthOptions {
  token?: string;
  signatureSecret?: string;
}

export type AuthUsed = 'basic' | 'oauth' | 'token' | 'signature';

export class SimAuth {
  private readonly tokens = new Map<string, number>();
  private readonly refreshTokens = new Set<string>();
  /** Grant types of successful token requests, in order (tests check refresh behaviour). */
  readonly grants: string[] = [];

  constructor(
    readonly rest: SimAuthOptions,
    readonly message: SimMessageAuthOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** REST auth: Table API, upload, attachments (message auth is not accepted there). */
  restCaller(headers: IncomingHttpHeaders): AuthUsed | undefined {
    const auth = headers.authorization ?? '';
    const basic = /^Basic\s+(\S+)$/i.exec(auth);
    if (basic && this.rest.basic) {
      const [user, ...pass] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
      if (user === this.rest.basic.username && pass.join(':') === this.rest.basic.password) return 'basic';
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(auth);
    if (bearer && this.rest.oauth) {
      const expires = this.tokens.get(bearer[1]);
      if (expires !== undefined && expires > this.now()) return 'oauth';
    }
    return undefined;
  }

  /** The VA API: REST auth, or message auth. */
  vaCaller(headers: IncomingHttpHeaders, raw: Buffer, body: Record<string, unknown> | undefined): AuthUsed | undefined {
    const rest = this.restCaller(headers);
    if (rest) return rest;
    const token = this.message.token;
    if (token && (equal(headerOf(headers, 'token'), token) || equal(typeof body?.token === 'string' ? body.token : undefined, token)))
      return 'token';
    const secret = this.message.signatureSecret;
    const given = headerOf(headers, 'x-b2b-signature');
    if (secret && given) {
      // The documented recipe: HmacSHA1(JSON.stringify(JSON.parse(body)), secret), hex.
      let compact: string;
      try {
        compact = JSON.stringify(JSON.parse(raw.toString('utf8')));
      } catch {
        return undefined;
      }
      if (equal(given.toLowerCase(), createHmac('sha1', secret).update(compact).digest('hex'))) return 'signature';
    }
    return undefined;
  }

  /** `/oauth_token.do`: password, client_credentials and refresh_token grants. */
  issue(form: Record<string, string | undefined>): { status: number; body: Record<string, unknown> } {
    const o = this.rest.oauth;
    if (!o || form.client_id !== o.clientId || form.client_secret !== o.clientSecret) {
      return { status: 401, body: { error: 'invalid_client', error_description: 'access_denied' } };
    }
    switch (form.grant_type) {
      case 'password':
        if (form.username !== o.username || form.password !== o.password) return { status: 401, body: { error: 'access_denied' } };
        break;
      case 'client_credentials':
        break;
      case 'refresh_token':
        if (!form.refresh_token || !this.refreshTokens.delete(form.refresh_token)) return { status: 401, body: { error: 'invalid_grant' } };
        break;
      default:
        return { status: 400, body: { error: 'unsupported_grant_type' } };
    }
    const ttl = o.tokenTtlSeconds ?? 1800;
    const access = randomBytes(24).toString('base64url');
    const refresh = randomBytes(24).toString('base64url');
    this.tokens.set(access, this.now() + ttl * 1000);
    this.refreshTokens.add(refresh);
    this.grants.push(form.grant_type);
    return {
      status: 200,
      body: { access_token: access, refresh_token: refresh, scope: 'useraccount', token_type: 'Bearer', expires_in: ttl },
    };
  }

  /** Expire every access token now (tests: a token revoked on the instance). */
  revokeAll(): void {
    this.tokens.clear();
  }
}

function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function equal(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
