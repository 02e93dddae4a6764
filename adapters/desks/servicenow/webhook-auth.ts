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
 * Comparisons are constant-time (the generic parts are the kit's: `kit/webhook-signature.ts`).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../../../bots/core/ports';
import { basicCredentials, bearerCredential, ExpiringTokens, headerValue, safeEqual, signatureMatches } from '../kit/webhook-signature';
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
  private readonly tokens: ExpiringTokens;

  constructor(
    private readonly settings: WebhookAuthSettings,
    private readonly clock: Clock,
  ) {
    this.tokens = new ExpiringTokens(settings.secret, 'webhook-token');
  }

  get mode(): WebhookAuthSettings['mode'] {
    return this.settings.mode;
  }

  verify(headers: IncomingHttpHeaders, raw: Buffer): boolean {
    const s = this.settings;
    switch (s.mode) {
      case 'header':
        return safeEqual(headerValue(headers, s.header ?? 'token'), s.secret);
      case 'basic': {
        const credentials = basicCredentials(headerValue(headers, 'authorization'));
        return !!credentials && safeEqual(credentials.join(':'), `${s.username}:${s.secret}`);
      }
      case 'oauth': {
        const token = bearerCredential(headerValue(headers, 'authorization'));
        return !!token && this.tokens.valid(token, this.clock.now());
      }
      case 'signature':
        return signatureMatches({
          given: headerValue(headers, s.header ?? 'x-b2b-signature'),
          secret: s.secret,
          algorithm: 'sha1',
          signed: signedForms(raw),
          prefix: /^sha1=/i,
        });
    }
  }

  /** Client-credentials grant for ServiceNow's OAuth profile; undefined when refused. */
  issueToken(grant: TokenGrant): IssuedToken | undefined {
    const s = this.settings;
    if (s.mode !== 'oauth' || grant.grantType !== 'client_credentials') return undefined;
    if (!safeEqual(grant.clientId, s.clientId ?? '') || !safeEqual(grant.clientSecret, s.secret)) return undefined;
    const access_token = this.tokens.issue(this.clock.now() + s.tokenTtlSeconds * 1000);
    return { access_token, token_type: 'Bearer', expires_in: s.tokenTtlSeconds };
  }
}

/** The two recipes ServiceNow documents: the raw bytes, or their compact JSON form. */
function signedForms(raw: Buffer): (string | Buffer)[] {
  try {
    return [raw, JSON.stringify(JSON.parse(raw.toString('utf8')))];
  } catch {
    // Not JSON: only the raw form can match; the route rejects the body afterwards anyway.
    return [raw];
  }
}
