/**
 * A local stand-in for the two Microsoft identity services a Bot Framework bot talks to, so the
 * real CloudAdapter can run with authentication ON, offline:
 *
 * - Inbound (channel -> bot): an OpenID metadata document and a JWKS, as served at
 *   login.botframework.com, plus `mintChannelToken` to sign tokens the way the Bot Connector
 *   does. Point `ToBotFromChannelOpenIdMetadataUrl` at `openIdMetadataUrl` and
 *   `ToBotFromChannelTokenIssuer` at `issuer`.
 *
 *   What botframework-connector 4.23 checks (ParameterizedBotFrameworkAuthentication +
 *   JwtTokenExtractor): `iss` is the configured issuer (otherwise the token is ignored → 401);
 *   the `kid` is in the JWKS (otherwise "Signing Key could not be retrieved" → 401); RS256/384/512
 *   signature; `exp`/`nbf` with 5 minutes of clock tolerance; the key's `endorsements`, when
 *   present, include the activity's `channelId`; `aud` is the bot's app id; the `serviceurl`
 *   claim equals the activity's `serviceUrl`. A token with a `ver` claim is treated as a
 *   skill/emulator token instead, so channel tokens carry none.
 *
 * - Outbound (bot -> channel): an AAD-like client-credentials token endpoint at
 *   `{loginUrl}/oauth2/v2.0/token`. botbuilder's own MSAL client cannot use it (MSAL accepts only
 *   HTTPS authorities and runs instance discovery against login.microsoftonline.com), so
 *   `credentialsFactory()` returns a ServiceClientCredentialsFactory that fetches tokens here,
 *   from the `ToChannelFromBotLoginUrl` botbuilder hands it. Everything else in the outbound
 *   path (audience, token caching, signing each connector request) is botbuilder's own code.
 */
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWTPayload, type KeyLike } from 'jose';
import {
  AppCredentials,
  MicrosoftAppCredentials,
  PasswordServiceClientCredentialFactory,
  type AuthenticatorResult,
  type ServiceClientCredentials,
} from 'botframework-connector';

export interface KeyServerOptions {
  /** The bot's app id and secret, checked by the token endpoint. */
  appId: string;
  appPassword: string;
  /** Defaults to a test issuer distinct from the real `https://api.botframework.com`. */
  issuer?: string;
  /** Channels the signing key is endorsed for, as in the real JWKS. */
  endorsements?: string[];
}

export interface ChannelTokenOptions {
  /** Must equal the activity's serviceUrl. */
  serviceUrl: string;
  audience?: string;
  issuer?: string;
  /** Seconds from now; negative for an expired token. Default 3600. */
  expiresIn?: number;
  /** Seconds from now the token becomes valid; positive for a not-yet-valid token. Default -60. */
  notBefore?: number;
  /**
   * `trusted`: the published key. `unknown-kid`: a key the JWKS does not list.
   * `forged`: a different key that claims the published key's `kid`.
   */
  key?: 'trusted' | 'unknown-kid' | 'forged';
  extraClaims?: Record<string, unknown>;
}

export interface TokenRequest {
  tenant: string;
  clientId?: string;
  scope?: string;
  grantType?: string;
  status: number;
}

export interface KeyServer {
  readonly url: string;
  readonly openIdMetadataUrl: string;
  readonly issuer: string;
  /** The ToChannelFromBotLoginUrl override (authority for outbound tokens). */
  readonly loginUrl: string;
  readonly tokenRequests: TokenRequest[];
  /** Tokens the token endpoint issued to the bot. */
  readonly issuedTokens: string[];
  mintChannelToken(options: ChannelTokenOptions): Promise<string>;
  /** Verifies a token this server issued to the bot; resolves with its claims. */
  verifyIssuedToken(token: string): Promise<JWTPayload>;
  credentialsFactory(): PasswordServiceClientCredentialFactory;
  close(): Promise<void>;
}

const ALG = 'RS256';

export async function startKeyServer(options: KeyServerOptions): Promise<KeyServer> {
  const trusted = await generateKeyPair(ALG, { extractable: true });
  const untrusted = await generateKeyPair(ALG, { extractable: true });
  const kid = `test-key-${randomUUID()}`;
  const jwk = await exportJWK(trusted.publicKey);
  const tokenRequests: TokenRequest[] = [];
  const issuedTokens: string[] = [];

  const app = express();
  let base = '';

  app.get('/v1/.well-known/openidconfiguration', (_req, res) => {
    res.json({
      issuer: issuer(),
      authorization_endpoint: `${base}/v1/authorize`,
      jwks_uri: `${base}/v1/.well-known/keys`,
      id_token_signing_alg_values_supported: [ALG],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
    });
  });
  app.get('/v1/.well-known/keys', (_req, res) => {
    res.json({
      keys: [{ ...jwk, kid, use: 'sig', alg: ALG, endorsements: options.endorsements ?? ['msteams'] }],
    });
  });
  app.post('/:tenant/oauth2/v2.0/token', express.urlencoded({ extended: false }), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, string | undefined>;
    const entry: TokenRequest = {
      tenant: String(req.params.tenant),
      clientId: body.client_id,
      scope: body.scope,
      grantType: body.grant_type,
      status: 200,
    };
    tokenRequests.push(entry);
    if (body.grant_type !== 'client_credentials') {
      entry.status = 400;
      res.status(400).json({ error: 'unsupported_grant_type' });
      return;
    }
    if (body.client_id !== options.appId || body.client_secret !== options.appPassword) {
      entry.status = 401;
      res.status(401).json({ error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
      return;
    }
    const audience = (body.scope ?? '').replace(/\/\.default$/, '');
    const token = await new SignJWT({ appid: options.appId, azp: options.appId, tid: entry.tenant })
      .setProtectedHeader({ alg: ALG, kid, typ: 'JWT' })
      .setIssuer(`${base}/${entry.tenant}/v2.0`)
      .setAudience(audience)
      .setIssuedAt()
      .setNotBefore('-1m')
      .setExpirationTime('1h')
      .sign(trusted.privateKey);
    issuedTokens.push(token);
    res.json({ token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: token });
  });

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = () => options.issuer ?? 'https://api.botframework.test';

  const signingKey = (which: ChannelTokenOptions['key']): { key: KeyLike; kid: string } => {
    switch (which ?? 'trusted') {
      case 'trusted':
        return { key: trusted.privateKey, kid };
      case 'unknown-kid':
        return { key: untrusted.privateKey, kid: `other-${randomUUID()}` };
      case 'forged':
        return { key: untrusted.privateKey, kid };
      default:
        throw new Error(`unknown key option ${String(which)}`);
    }
  };

  return {
    url: base,
    openIdMetadataUrl: `${base}/v1/.well-known/openidconfiguration`,
    issuer: issuer(),
    loginUrl: `${base}/botframework.com`,
    tokenRequests,
    issuedTokens,
    async mintChannelToken(o) {
      const now = Math.floor(Date.now() / 1000);
      const { key, kid: keyId } = signingKey(o.key);
      return new SignJWT({ serviceurl: o.serviceUrl, ...o.extraClaims })
        .setProtectedHeader({ alg: ALG, kid: keyId, typ: 'JWT' })
        .setIssuer(o.issuer ?? issuer())
        .setAudience(o.audience ?? options.appId)
        .setNotBefore(now + (o.notBefore ?? -60))
        .setExpirationTime(now + (o.expiresIn ?? 3600))
        .sign(key);
    },
    async verifyIssuedToken(token) {
      const { payload } = await jwtVerify(token, trusted.publicKey);
      return payload;
    },
    credentialsFactory() {
      return new KeyServerCredentialsFactory(options.appId, options.appPassword);
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

/**
 * Same decisions as botbuilder's PasswordServiceClientCredentialFactory (auth off without an app
 * id, reject other app ids), but the token comes from `{loginEndpoint}/oauth2/v2.0/token` over
 * plain HTTP instead of through MSAL.
 */
class KeyServerCredentialsFactory extends PasswordServiceClientCredentialFactory {
  override async createCredentials(
    appId: string,
    audience: string,
    loginEndpoint: string,
    _validateAuthority: boolean,
  ): Promise<ServiceClientCredentials> {
    if (await this.isAuthenticationDisabled()) return MicrosoftAppCredentials.Empty;
    if (!(await this.isValidAppId(appId))) throw new Error('Invalid appId.');
    return new ClientCredentialsOverHttp(appId, this.password ?? '', `${loginEndpoint}/oauth2/v2.0/token`, audience);
  }
}

class ClientCredentialsOverHttp extends AppCredentials {
  constructor(
    appId: string,
    private readonly secret: string,
    private readonly tokenUrl: string,
    scope: string,
  ) {
    super(appId, undefined, scope);
  }

  protected override async refreshToken(): Promise<AuthenticatorResult> {
    const res = await fetch(this.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: this.appId,
        client_secret: this.secret,
        scope: `${this.oAuthScope}/.default`,
      }),
    });
    const body = (await res.json()) as { access_token?: string; expires_in?: number; error?: string };
    if (!res.ok || !body.access_token) throw new Error(`token endpoint answered ${res.status} ${body.error ?? ''}`);
    return { accessToken: body.access_token, expiresOn: new Date(Date.now() + (body.expires_in ?? 3600) * 1000) };
  }
}
