/**
 * What the Slack app needs, in one place: the bot scopes and events in
 * `manifest/slack/manifest.yaml` must be exactly these (a test checks it), and start-up warns
 * about any the token lacks.
 */

/** Bot token scopes, and what each is for. */
export const SLACK_BOT_SCOPES = {
  'chat:write': 'chat.postMessage and chat.update: cards, messages, replacing used buttons',
  'chat:write.customize': "agent messages under the agent's name and avatar (without it: a name prefix)",
  'files:read': 'files.info and downloading the files users share',
  'files:write': 'filesUploadV2: files agents send',
  'im:history': 'the message.im event: what users write in the app DM',
  'im:write': 'conversations.open: the DM of a user known only by id',
  'users:read': 'users.info: names for agents and for mentions, time zone, locale',
  'users:read.email': "users.info: the user's email, for the agent",
} as const;

export type SlackScope = keyof typeof SLACK_BOT_SCOPES;

/** Scopes the bridge works without (it degrades: a name prefix, no email). */
export const OPTIONAL_SCOPES: readonly SlackScope[] = ['chat:write.customize', 'users:read.email'];

/** Bot events the app subscribes to. */
export const SLACK_BOT_EVENTS = ['message.im'] as const;

/**
 * What a channel desk (agents in a Slack channel, bots/slack/channel-port.ts) needs on top: the
 * manifest stays the DM-only app, so these are added by hand where such a desk runs (docs/slack.md).
 */
export const CHANNEL_DESK_SCOPES = {
  'channels:history': 'the message.channels event: what agents write in a public channel the bot is in',
  'groups:history': 'the message.groups event: what agents write in a private channel the bot is in',
} as const;

/** Bot events a channel desk needs besides `message.im`. */
export const CHANNEL_DESK_EVENTS = ['message.channels', 'message.groups'] as const;

/** Web API methods the code calls, and the scope each needs (null: none). */
export const SLACK_METHOD_SCOPES: Record<string, SlackScope | null> = {
  'auth.test': null,
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'views.open': null,
  'users.info': 'users:read',
  'conversations.open': 'im:write',
  'files.info': 'files:read',
  // filesUploadV2 = files.getUploadURLExternal + a POST of the bytes + files.completeUploadExternal
  filesUploadV2: 'files:write',
};

/** Required scopes missing from a token's list. */
export function missingScopes(granted: readonly string[]): SlackScope[] {
  return (Object.keys(SLACK_BOT_SCOPES) as SlackScope[]).filter((s) => !OPTIONAL_SCOPES.includes(s) && !granted.includes(s));
}
