/**
 * The instance's outbound REST call to the bot ("VA Bot to Bot" / Bot Connection), with the
 * credential the admin configured: Basic, an OAuth 2.0 profile (client credentials against the
 * bot's token URL), static headers, or an HMAC signature. Posts for one conversation go out one
 * at a time, in order, as the instance's outbound queue does.
 */
import { createHmac } from 'node:crypto';

export type OutboundAuth =
  | { mode: 'none' }
  | { mode: 'basic'; username: string; password: string }
  | { mode: 'header'; headers: Record<string, string> }
  | { mode: 'oauth'; tokenUrl: string; clientId: string; clientSecret: string }
  | { mode: 'signature'; secret: string; header?: string };

export interface OutboundTarget {
  url: string;
  auth: OutboundAuth;
}

export interface PostResult {
  status: number;
  body: string;
}

export class Outbound {
  private readonly tails = new Map<string, Promise<unknown>>();
  private token?: { value: string; expiresAt: number };
  /** Every post made, with its answer (tests look at statuses and bodies). */
  readonly posts: { conversationId: string; payload: Record<string, unknown>; status: number }[] = [];
  tokenRequests = 0;

  constructor(public target: OutboundTarget | undefined) {}

  /** Post `payload` after everything queued for the same conversation. */
  post(conversationId: string, payload: Record<string, unknown>, auth?: OutboundAuth): Promise<PostResult> {
    const previous = this.tails.get(conversationId) ?? Promise.resolve();
    const result = previous.then(() => this.send(conversationId, payload, auth));
    const tail = result.catch(() => undefined);
    this.tails.set(conversationId, tail);
    void tail.then(() => {
      if (this.tails.get(conversationId) === tail) this.tails.delete(conversationId);
    });
    return result;
  }

  /** Resolves when every queued post has been answered. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }

  private async send(conversationId: string, payload: Record<string, unknown>, override?: OutboundAuth): Promise<PostResult> {
    const target = this.target;
    if (!target) throw new Error('servicenow simulator: no outbound URL configured (setOutbound)');
    const auth = override ?? target.auth;
    const body = JSON.stringify(payload);
    let res = await fetch(target.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(await this.headers(auth, body)) },
      body,
    });
    if (res.status === 401 && auth.mode === 'oauth' && !override) {
      this.token = undefined; // the bot may have been restarted with a new secret; try a fresh token once
      res = await fetch(target.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(await this.headers(auth, body)) },
        body,
      });
    }
    const text = await res.text();
    this.posts.push({ conversationId, payload, status: res.status });
    return { status: res.status, body: text };
  }

  private async headers(auth: OutboundAuth, body: string): Promise<Record<string, string>> {
    switch (auth.mode) {
      case 'none':
        return {};
      case 'basic':
        return { Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
      case 'header':
        return auth.headers;
      case 'signature':
        return { [auth.header ?? 'x-b2b-signature']: createHmac('sha1', auth.secret).update(body).digest('hex') };
      case 'oauth':
        return { Authorization: `Bearer ${await this.bearer(auth)}` };
    }
  }

  private async bearer(auth: Extract<OutboundAuth, { mode: 'oauth' }>): Promise<string> {
    if (this.token && this.token.expiresAt > Date.now() + 5000) return this.token.value;
    this.tokenRequests += 1;
    const res = await fetch(auth.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: auth.clientId, client_secret: auth.clientSecret }),
    });
    const answer = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number };
    if (!res.ok || !answer.access_token)
      throw new Error(`servicenow simulator: the bot refused the OAuth token request (HTTP ${res.status})`);
    this.token = { value: answer.access_token, expiresAt: Date.now() + (answer.expires_in ?? 1800) * 1000 };
    return this.token.value;
  }
}
