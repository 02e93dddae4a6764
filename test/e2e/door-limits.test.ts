/**
 * Every door of the bridge bounds what it reads: a body past its byte limit gets 413 saying the
 * limit, a body nested past the depth bound (bots/http/json-bounds.ts) gets 400, and neither
 * changes anything. Over real HTTP against the whole bridge (Teams, web chat, console, broadcasts).
 */
import { startBridgeHarness, type BridgeHarness } from '../helpers/bridge-harness';
import { postToSlackEndpoint, startSlackHarness } from '../helpers/slack-harness';
import { webRequest, WebChatUser } from '../helpers/web-user';

const BROADCAST_TOKEN = 'broadcast-token-0123456789';
const deep = (levels: number) => `{"x":${'['.repeat(levels)}${']'.repeat(levels)}}`;

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('door limits', () => {
  let h: BridgeHarness;
  let user: WebChatUser;
  let storeBefore: string[];
  beforeEach(async () => {
    h = await startBridgeHarness({ config: { broadcasts: { token: BROADCAST_TOKEN } } });
    user = await WebChatUser.start(h.url);
    storeBefore = (await h.bridge.store.keys('')).sort();
  });
  afterEach(async () => {
    await user.disconnect();
    await h.close();
  });

  const unchanged = async () => {
    await h.bridge.broker.idle();
    expect((await h.bridge.store.keys('')).sort()).toEqual(storeBefore);
  };

  it('Teams /api/messages: 413 past 1 MB and 400 past 64 levels, in its own error shape', async () => {
    const big = await post(`${h.url}/api/messages`, JSON.stringify({ type: 'message', text: 'x'.repeat(1024 * 1024) }));
    expect(big).toEqual({ status: 413, body: { error: 'too_large', message: 'The request body is too large (1 MB at most).' } });
    const nested = await post(`${h.url}/api/messages`, `{"type":"message","value":${deep(100).slice(5, -1)}}`);
    expect(nested).toEqual({
      status: 400,
      body: { error: 'bad_request', message: 'The request body is nested more than 64 levels deep.' },
    });
    expect(h.connector.requests).toEqual([]);
    await unchanged();
  });

  it('web chat API: 413 past 64 KB and 400 past 64 levels', async () => {
    const big = await user.request('POST', '/messages', { body: { id: 'client-0001', text: 'x', pad: 'y'.repeat(70 * 1024) } });
    expect(big.status).toBe(413);
    expect(big.body.error.message).toBe('The request body is too large (64 KB at most).');
    const action = await user.request('POST', '/actions', {
      rawBody: `{"id":"client-0002","messageId":"m1","data":${deep(100)}}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(action.status).toBe(400);
    expect(action.body.error.message).toBe('The request body is nested more than 64 levels deep.');
    const session = await webRequest(h.url, 'POST', '/session', { rawBody: deep(100), headers: { 'content-type': 'application/json' } });
    expect(session.status).toBe(400);
    await unchanged();
  });

  it('console API: 400 past 64 levels (413 past 64 KB is in console-api.test.ts)', async () => {
    const res = await fetch(`${h.url}/console/api/chats/c1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.beth.token}`, 'content-type': 'application/json' },
      body: `{"text":"hi","extra":${deep(100)}}`,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.message).toBe('The request body is nested more than 64 levels deep.');
    await unchanged();
  });

  it('broadcasts: 413 past 2 MB', async () => {
    const big = await post(
      `${h.url}/api/broadcasts`,
      JSON.stringify({ recipients: 'all', message: { title: 't', text: 'x'.repeat(2 * 1024 * 1024) } }),
      {
        authorization: `Bearer ${BROADCAST_TOKEN}`,
      },
    );
    expect(big.status).toBe(413);
    expect(big.body.error.message).toBe('The request body is too large (2 MB at most).');
    await unchanged();
  });

  it('Slack /slack/events: 413 past 1 MB, saying so, and nothing runs', async () => {
    const slack = await startSlackHarness();
    try {
      const before = (await slack.bridge.store.keys('')).sort();
      const body = JSON.stringify({ type: 'event_callback', event: { type: 'message', text: 'x'.repeat(1024 * 1024) } });
      const big = await postToSlackEndpoint(slack.url, body, 'application/json');
      expect(big.status).toBe(413);
      expect(big.json).toEqual({ error: 'too_large', message: 'The request body is too large (1 MB at most).' });
      await slack.bridge.broker.idle();
      expect((await slack.bridge.store.keys('')).sort()).toEqual(before);
      expect(slack.slack.calls.filter((c) => c.method.startsWith('chat.'))).toEqual([]);
    } finally {
      await slack.close();
    }
  });
});
