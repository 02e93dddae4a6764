/**
 * The Slack app manifest asks for exactly what the code uses: every Web API method the Slack
 * glue calls needs a scope the manifest grants, and the manifest grants nothing more.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { missingScopes, SLACK_BOT_EVENTS, SLACK_BOT_SCOPES, SLACK_METHOD_SCOPES } from '../../../bots/slack/scopes';

const root = join(__dirname, '../../..');
const manifest = parse(readFileSync(join(root, 'manifest/slack/manifest.yaml'), 'utf8'));
const slackDir = join(root, 'bots/slack');
const sources = readdirSync(slackDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => readFileSync(join(slackDir, f), 'utf8'))
  .join('\n');

describe('Slack app manifest', () => {
  it('grants exactly the bot scopes the code needs', () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(Object.keys(SLACK_BOT_SCOPES).sort());
    expect(manifest.oauth_config.scopes.user).toBeUndefined();
  });

  it('subscribes to exactly the events the code handles', () => {
    expect(manifest.settings.event_subscriptions.bot_events).toEqual([...SLACK_BOT_EVENTS]);
    expect(sources).toContain("bolt.event('message'");
  });

  it('has the messages tab on and writable, and interactivity on the same endpoint as events', () => {
    expect(manifest.features.app_home).toMatchObject({ messages_tab_enabled: true, messages_tab_read_only_enabled: false });
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(new URL(manifest.settings.event_subscriptions.request_url).pathname).toBe('/slack/events');
    expect(manifest.settings.interactivity.request_url).toBe(manifest.settings.event_subscriptions.request_url);
    expect(manifest.settings.socket_mode_enabled).toBe(false);
  });

  it('covers every Web API method the Slack glue calls', () => {
    const called = new Set<string>();
    for (const m of sources.matchAll(/\bclient\.(\w+)\.(\w+)\(/g)) called.add(`${m[1]}.${m[2]}`);
    for (const m of sources.matchAll(/\bclient\.(filesUploadV2)\(/g)) called.add(m[1]);
    expect(called.size).toBeGreaterThan(5);
    for (const method of called) {
      expect(Object.keys(SLACK_METHOD_SCOPES)).toContain(method);
      const scope = SLACK_METHOD_SCOPES[method];
      if (scope) expect(manifest.oauth_config.scopes.bot).toContain(scope);
    }
  });

  it('names what a token lacks, leaving the optional scopes out', () => {
    expect(missingScopes(Object.keys(SLACK_BOT_SCOPES))).toEqual([]);
    expect(missingScopes(['chat:write', 'im:history', 'im:write', 'users:read'])).toEqual(['files:read', 'files:write']);
  });
});
