/**
 * Credentials for calls to the instance.
 *
 * - REST auth (Table API, media upload, and the VA API unless message auth replaces it): Basic, or
 *   OAuth 2.0 from `/oauth_token.do`. The token is cached, shared by concurrent callers, refreshed
 *   (refresh_token grant, else a new grant) before it expires, and dropped on a 401.
 * - Message auth (VA API only): ServiceNow's `token` header, or `x-b2b-signature` = hex
 *   HMAC-SHA1 of the exact body bytes sent. The body we send is compact JSON, so it matches the
 *   documented recipe `HmacSHA1(JSON.stringify(JSON.parse(body)), secret)`.
 *
 * No secret or token is ever logged.
 */
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import type { Clock, Logger } from '../../../bots/core/ports';
import { hmac } from '../kit/webhook-signature';
import type { MessageAuthSettings, RestAuthSettings } from './config';
import type { ServiceNowHttp } from './http';

interface Token {
  accessToken: string;
  refreshToken?: string;
  /** Epoch ms. */
  expiresAt: number;
}

interface TokenAnswer {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number | string;
  token_type?: string;
}

export class RestAuth {
  private token?: Token;
  private pending?: Promise<Token>;

  constructor(
    private readonly settings: RestAuthSettings,
    private readonly instanceUrl: string,
    private readonly http: ServiceNowHttp,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  get enabled(): boolean {
    return this.settings.mode !== 'none';
  }

  /** The `Authorization` header for the next request (empty without REST auth). */
  async headers(): Promise<Record<string, string>> {
    const s = this.settings;
    if (s.mode === 'basic') {
      return { Authorization: `Basic ${Buffer.from(`${s.username}:${s.password}`).toString('base64')}` };
    }
    if (s.mode === 'oauth') return { Authorization: `Bearer ${(await this.currentToken()).accessToken}` };
    return {};
  }

  /**
   * After a 401: expire the access token so the next call gets a new one (through the refresh
   * token first, which falls back to a full grant). True when that may help.
   */
  async invalidate(): Promise<boolean> {
    if (this.settings.mode !== 'oauth') return false;
    if (this.token) this.token = { ...this.token, expiresAt: 0 };
    return true;
  }

  private async currentToken(): Promise<Token> {
    const skew = this.settings.refreshBeforeExpirySeconds * 1000;
    const token = this.token;
    if (token && this.clock.now() < token.expiresAt - skew) return token;
    // One fetch at a time: a burst of requests shares it.
    this.pending ??= this.fetchToken(token?.refreshToken).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetchToken(refreshToken: string | undefined): Promise<Token> {
    if (refreshToken) {
      try {
        return await this.grant({ grant_type: 'refresh_token', refresh_token: refreshToken });
      } catch (e) {
        this.logger.info(
          { err: e instanceof BridgeError ? e.message : String(e) },
          'servicenow: token refresh refused; requesting a new token',
        );
      }
    }
    const s = this.settings;
    return this.grant(
      s.grantType === 'password'
        ? { grant_type: 'password', username: s.username ?? '', password: s.password ?? '' }
        : { grant_type: 'client_credentials' },
    );
  }

  private async grant(fields: Record<string, string>): Promise<Token> {
    const s = this.settings;
    const form = new URLSearchParams({ ...fields, client_id: s.clientId ?? '', client_secret: s.clientSecret ?? '' });
    const answer = await this.http.json<TokenAnswer>({
      op: `OAuth token (${fields.grant_type})`,
      method: 'POST',
      url: `${this.instanceUrl}/oauth_token.do`,
      headers: async () => ({ 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' }),
      body: form,
      retry: 'unprocessed',
    });
    if (!answer?.access_token) {
      throw new BridgeError(ErrorCode.DeskAuthFailed, 'ServiceNow issued no access token', { details: { op: 'oauth_token.do' } });
    }
    const lifetime = Number(answer.expires_in);
    // ServiceNow's default lifetime is 30 minutes; assume it when the answer omits it.
    const expiresIn = Number.isFinite(lifetime) && lifetime > 0 ? lifetime : 1800;
    const token: Token = {
      accessToken: answer.access_token,
      refreshToken: answer.refresh_token ?? fields.refresh_token,
      expiresAt: this.clock.now() + expiresIn * 1000,
    };
    this.token = token;
    this.logger.debug({ expiresIn, grant: fields.grant_type }, 'servicenow: OAuth token obtained');
    return token;
  }
}

/** Message-auth headers for a VA API request whose body is exactly `bodyText`. */
export function messageAuthHeaders(settings: MessageAuthSettings, bodyText: string): Record<string, string> {
  if (settings.mode === 'token') return { token: settings.secret ?? '' };
  if (settings.mode === 'signature') return { 'x-b2b-signature': signature(settings.secret ?? '', bodyText) };
  return {};
}

/** hex(HMAC-SHA1(secret, text)), ServiceNow's `x-b2b-signature`. */
export function signature(secret: string, text: string | Buffer): string {
  return hmac('sha1', secret, text).toString('hex');
}
