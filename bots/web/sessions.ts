/**
 * Browser sign-ins. Exchanging an embed token (or asking for a guest identity) yields a random
 * credential the page keeps in localStorage and sends as `Authorization: Bearer …` on every
 * call; that is what lets a reload pick the conversation up again.
 *
 * Credentials live in the Store, so any process accepts them and a restart on Redis keeps users
 * signed in. Only a SHA-256 of the credential is used as the key: a dump of the store does not
 * hand out working sign-ins.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock, Store, UserProfile } from '../core/ports';

export interface WebSignIn {
  profile: UserProfile;
  guest: boolean;
  /** Epoch milliseconds. */
  expiresAt: number;
}

const key = (credential: string) => `web:cred:${createHash('sha256').update(credential).digest('base64url')}`;
/** 256 random bits, base64url: 43 characters. */
const CREDENTIAL = /^[A-Za-z0-9_-]{43}$/;

export class WebSessions {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  async issue(profile: UserProfile, guest: boolean): Promise<{ credential: string; signIn: WebSignIn }> {
    const credential = randomBytes(32).toString('base64url');
    const signIn: WebSignIn = { profile, guest, expiresAt: this.clock.now() + this.ttlMs };
    await this.store.set(key(credential), signIn, this.ttlMs);
    return { credential, signIn };
  }

  /** The sign-in behind a credential, or undefined for an unknown, expired or malformed one. */
  async resolve(credential: string): Promise<WebSignIn | undefined> {
    if (!CREDENTIAL.test(credential)) return undefined;
    const signIn = await this.store.get<WebSignIn>(key(credential));
    // The store's TTL runs on wall time; tests (and a skewed store) may disagree with our clock.
    if (!signIn || signIn.expiresAt <= this.clock.now()) return undefined;
    return signIn;
  }
}
