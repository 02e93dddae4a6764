/**
 * The whole configuration: each part's schema lives beside the code it configures and is
 * composed here. Types come from the schemas, so config and code cannot drift apart.
 */
import { z } from 'zod';
import { consoleDeskSchema } from '../adapters/desks/console/config';
import { servicenowDeskSchema } from '../adapters/desks/servicenow/config';
import { storeSettingsSchema } from '../adapters/store/config';
import { cardLabelsSchema } from '../cards/config';
import { broadcastSettingsSchema } from '../bots/core/broadcasts';
import { coreSettingsSchema } from '../bots/core/settings';
import { teamsSettingsSchema } from '../bots/teams/config';
import { slackSettingsSchema } from '../bots/slack/config';
import { webSettingsSchema } from '../bots/web/config';
import { serverSettingsSchema } from './server';

export const configSchema = z.object({
  server: serverSettingsSchema.default({}),
  store: storeSettingsSchema.default({}),
  /** What the bot does and says: phrases, offer policy, topics, history, timeouts, wording. */
  bot: coreSettingsSchema.default({}),
  /** Which live-agent system agents use. */
  desk: z.enum(['console', 'servicenow']).default('console'),
  console: consoleDeskSchema.default({}),
  /** ServiceNow Agent Chat through the Virtual Agent API (docs/servicenow.md); required when desk is servicenow. */
  servicenow: servicenowDeskSchema.optional(),
  /** The broadcast API and how fast it delivers. */
  broadcasts: broadcastSettingsSchema.default({}),
  /** Button titles and input labels on cards. */
  cards: cardLabelsSchema,
  teams: teamsSettingsSchema.default({}),
  /** The web chat at /chat: sign-in tokens from the embedding site (HMAC secret) or guests. */
  web: webSettingsSchema.default({}),
  /** Slack app credentials; Slack is off while `botToken` is empty. */
  slack: slackSettingsSchema.default({}),
});

export type BridgeConfig = z.infer<typeof configSchema>;
/** What a config file or a test may give: every key optional, defaults fill the rest. */
export type BridgeConfigInput = z.input<typeof configSchema>;
