/**
 * The whole configuration: each part's schema lives beside the code it configures and is
 * composed here. Types come from the schemas, so config and code cannot drift apart.
 */
import { z } from 'zod';
import { storeSettingsSchema } from '../adapters/store/config';
import { cardLabelsSchema } from '../cards/config';
import { broadcastSettingsSchema } from '../bots/core/broadcasts';
import { coreSettingsSchema } from '../bots/core/settings';
import { teamsSettingsSchema } from '../bots/teams/config';
import { slackSettingsSchema } from '../bots/slack/config';
import { webSettingsSchema } from '../bots/web/config';
import { deskChoiceSettings, deskSections, resolveDesks } from './desks';
import { serverSettingsSchema } from './server';

const settingsSchema = z.object({
  server: serverSettingsSchema.default({}),
  store: storeSettingsSchema.default({}),
  /** What the bot does and says: phrases, offer policy, topics, history, timeouts, wording. */
  bot: coreSettingsSchema.default({}),
  /** Which live-agent systems agents use (`desk`, `desks`) and which chats go where (`routing`). */
  ...deskChoiceSettings,
  /** Each registered desk's own section (`console`, ...), from adapters/desks/registry.ts. */
  ...deskSections,
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

/**
 * The desks come out as one list whichever shape configured them (config/desks.ts). What refers
 * across keys (rules to desks and topics) is checked by `parseConfig` beside this schema.
 */
export const configSchema = settingsSchema.transform((value) => ({ ...value, ...resolveDesks(value) }));

export type BridgeConfig = z.infer<typeof configSchema>;
/** What a config file or a test may give: every key optional, defaults fill the rest. */
export type BridgeConfigInput = z.input<typeof configSchema>;
