/**
 * Who the bot is in Slack (`auth.test`): its user and bot ids (to ignore its own messages) and
 * the scopes its token has (to know whether it may post under an agent's name).
 *
 * Asked once at start-up and kept. Never in the path of an event: if Slack cannot be reached,
 * events are still handled (the bot's own messages are recognised by their `bot_id` anyway) and
 * the question is asked again later.
 */
import type { webApi } from '@slack/bolt';
import type { Logger } from '../core/ports';
import { slackCall } from './client';
import { missingScopes, SLACK_BOT_SCOPES } from './scopes';

export interface BotIdentity {
  botUserId?: string;
  botId?: string;
  teamId?: string;
  /** The token's scopes, from the `x-oauth-scopes` header; undefined when Slack did not say. */
  scopes?: string[];
}

const RETRY_AFTER_MS = 30_000;

export class SlackIdentity {
  private known?: BotIdentity;
  private inFlight?: Promise<BotIdentity | undefined>;
  private lastFailure = 0;

  constructor(
    private readonly client: webApi.WebClient,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get current(): BotIdentity | undefined {
    if (!this.known && !this.inFlight && this.now() - this.lastFailure >= RETRY_AFTER_MS) void this.load();
    return this.known;
  }

  /** Ask Slack (once at a time). Resolves undefined when it could not; never rejects. */
  load(): Promise<BotIdentity | undefined> {
    this.inFlight ??= (async () => {
      try {
        const result = await slackCall('auth.test', () => this.client.auth.test());
        this.known = {
          botUserId: result.user_id,
          botId: result.bot_id,
          teamId: result.team_id,
          scopes: result.response_metadata?.scopes,
        };
        this.logger.info(
          { surface: 'slack', team: result.team, botUserId: result.user_id, scopes: this.known.scopes },
          'Slack: connected as the bot user',
        );
        const missing = this.known.scopes ? missingScopes(this.known.scopes) : [];
        if (missing.length > 0) {
          // Reinstall the app from manifest/slack/manifest.yaml to grant them.
          this.logger.warn(
            { surface: 'slack', missing: missing.map((s) => `${s} (${SLACK_BOT_SCOPES[s]})`) },
            `Slack: the bot token lacks ${missing.join(', ')}; reinstall the app with the scopes in manifest/slack/manifest.yaml`,
          );
        }
        return this.known;
      } catch (err) {
        this.lastFailure = this.now();
        this.logger.error({ surface: 'slack', err }, 'Slack: auth.test failed; check SLACK_BOT_TOKEN (will ask again)');
        return undefined;
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }

  /** Whether the token has `scope`; undefined while unknown. */
  hasScope(scope: string): boolean | undefined {
    const scopes = this.current?.scopes;
    return scopes ? scopes.includes(scope) : undefined;
  }
}
