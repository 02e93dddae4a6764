import { isBridgeError } from '../../../bots/core/errors';
import { isSlackEnabled, isSocketMode, SLACK_DEFAULT_API_URL } from '../../../bots/slack/config';
import { loadConfig } from '../../../config/load';
import { startBridgeHarness } from '../../helpers/bridge-harness';

const load = (env: Record<string, string>) => loadConfig({ env, readFile: () => '' });

function configError(env: Record<string, string>): string {
  try {
    load(env);
  } catch (e) {
    if (isBridgeError(e, 'config_invalid')) return e.message;
    throw e;
  }
  throw new Error('expected the configuration to be refused');
}

describe('Slack configuration', () => {
  it('is off by default, pointing at Slack itself', () => {
    const config = load({});
    expect(config.slack).toEqual({
      botToken: '',
      signingSecret: '',
      appToken: '',
      apiUrl: SLACK_DEFAULT_API_URL,
      customizeSender: 'auto',
      fileHosts: ['files.slack.com'],
    });
    expect(isSlackEnabled(config.slack)).toBe(false);
  });

  it('reads SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN and SLACK_API_URL', () => {
    const http = load({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'secret', SLACK_API_URL: 'http://127.0.0.1:9/api/' });
    expect(http.slack).toMatchObject({ botToken: 'xoxb-1', signingSecret: 'secret', apiUrl: 'http://127.0.0.1:9/api/' });
    expect(isSlackEnabled(http.slack) && !isSocketMode(http.slack)).toBe(true);
    const socket = load({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1-A1-2' });
    expect(isSocketMode(socket.slack)).toBe(true);
  });

  it('says which key is wrong, where it came from and where to find the right value', () => {
    expect(configError({ SLACK_BOT_TOKEN: 'xoxb-1' })).toMatch(/slack\.signingSecret .*Signing Secret.*or set appToken for Socket Mode/);
    expect(configError({ SLACK_BOT_TOKEN: 'xoxp-user-token', SLACK_SIGNING_SECRET: 's' })).toMatch(
      /slack\.botToken \(from environment variable SLACK_BOT_TOKEN\): a bot token starting with "xoxb-"/,
    );
    expect(configError({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xoxb-2' })).toMatch(/slack\.appToken .*"xapp-"/);
    expect(configError({ SLACK_APP_TOKEN: 'xapp-1' })).toMatch(/slack\.botToken .*required when appToken is set/);
    expect(configError({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_API_URL: 'not a url' })).toMatch(/slack\.apiUrl/);
  });

  it('mounts nothing at /slack/events when Slack is off', async () => {
    const h = await startBridgeHarness();
    try {
      const res = await fetch(`${h.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(404);
      expect(h.bridge.broker).toBeDefined();
    } finally {
      await h.close();
    }
  });
});
