/**
 * Who Slack users are: `users.info`, cached in this process. Used for the profile handed to the
 * desk (name, email, locale, time zone) and to turn `<@U123>` mentions into names.
 *
 * Lookups never fail an event: when Slack does not answer, the user id stands in for the name
 * and the next event tries again (failures are not cached).
 */
import type { webApi } from '@slack/bolt';
import type { Logger, UserProfile } from '../core/ports';
import { slackCall } from './client';

const TTL_MS = 60 * 60 * 1000;
const MAX_ENTRIES = 5000;

interface SlackUser {
  id?: string;
  name?: string;
  real_name?: string;
  tz?: string;
  locale?: string;
  profile?: { display_name?: string; real_name?: string; email?: string };
}

export class SlackDirectory {
  private readonly cache = new Map<string, { profile: UserProfile; at: number }>();
  /** In-flight lookups, so a burst of events for one user asks Slack once. */
  private readonly pending = new Map<string, Promise<UserProfile | undefined>>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The user's profile; `{ id, name: id }` when Slack cannot say. */
  async profile(userId: string): Promise<UserProfile> {
    return (await this.lookup(userId)) ?? { id: userId, name: userId };
  }

  /** Display names of several users (mentions), by id; unknown ids are left out. */
  async names(userIds: string[]): Promise<Map<string, string>> {
    const found = await Promise.all(userIds.map(async (id) => [id, (await this.lookup(id))?.name] as const));
    return new Map(found.filter((e): e is readonly [string, string] => typeof e[1] === 'string'));
  }

  private async lookup(userId: string): Promise<UserProfile | undefined> {
    const hit = this.cache.get(userId);
    if (hit && this.now() - hit.at < TTL_MS) return hit.profile;
    const inFlight = this.pending.get(userId);
    if (inFlight) return inFlight;
    const request = this.fetch(userId).finally(() => this.pending.delete(userId));
    this.pending.set(userId, request);
    return request;
  }

  private async fetch(userId: string): Promise<UserProfile | undefined> {
    try {
      const result = await slackCall('users.info', () => this.client.users.info({ user: userId, include_locale: true }));
      const profile = toProfile(userId, result.user as SlackUser | undefined);
      if (this.cache.size >= MAX_ENTRIES) {
        const oldest = this.cache.keys().next().value;
        if (oldest !== undefined) this.cache.delete(oldest);
      }
      this.cache.set(userId, { profile, at: this.now() });
      return profile;
    } catch (err) {
      this.logger.warn({ surface: 'slack', err, userId }, 'users.info failed; using the user id as the name');
      return undefined;
    }
  }
}

function toProfile(userId: string, user: SlackUser | undefined): UserProfile {
  // The full name is what an agent needs; the display name (often a nickname) is the fallback.
  const name = user?.real_name || user?.profile?.real_name || user?.profile?.display_name || user?.name || userId;
  return {
    id: userId,
    name,
    ...(user?.profile?.email ? { email: user.profile.email } : {}),
    ...(user?.locale ? { locale: user.locale } : {}),
    ...(user?.tz ? { timeZone: user.tz } : {}),
  };
}
