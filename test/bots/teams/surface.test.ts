/**
 * TeamsSurface against a fake Bot Connector over HTTP, with the real CloudAdapter (auth off, so
 * no tokens are involved; teams-auth.test.ts covers sending with credentials).
 */
import { createTeamsAdapter, type ConnectorCachingCloudAdapter } from '../../../bots/teams/adapter';
import { teamsSettingsSchema } from '../../../bots/teams/config';
import { TeamsSurface } from '../../../bots/teams/surface';
import { addressFromActivity } from '../../../bots/teams/address';
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import type { Address, Logger } from '../../../bots/core/ports';
import { parseCardAction } from '../../../cards/actions';
import { messageActivity, teamsChat } from '../../helpers/bf-activity';
import { startFakeConnector, type FakeConnector } from '../../helpers/fake-connector';

const logger = (): Logger => ({ debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() });

let connector: FakeConnector;
let surface: TeamsSurface;
let surfaceLogger: Logger;
let address: Address;
let conversationId: string;

beforeAll(async () => {
  connector = await startFakeConnector();
  const adapter = createTeamsAdapter(teamsSettingsSchema.parse({}), logger());
  surfaceLogger = logger();
  // Backoff shortened so retries without Retry-After take milliseconds, not seconds.
  surface = new TeamsSurface({ adapter, appId: '', logger: surfaceLogger, connector: { backoffMs: 20 } });
});
afterAll(() => connector.close());
beforeEach(() => {
  connector.reset();
  const chat = teamsChat({ serviceUrl: connector.url, botId: 'bot' });
  conversationId = chat.conversationId;
  address = addressFromActivity(messageActivity(chat, 'hi'));
});

const lastBody = () => connector.requests.at(-1)!.body as Record<string, any>;

describe('TeamsSurface.send', () => {
  it('sends text and returns the id Teams assigned', async () => {
    const ref = await surface.send(address, { kind: 'text', text: 'You are in the queue.' });
    expect(lastBody()).toMatchObject({ type: 'message', text: 'You are in the queue.' });
    expect(connector.requests[0].conversationId).toBe(conversationId);
    expect(ref).toEqual({ activityId: connector.requests[0].assignedId });
  });

  it('sends proactively from the trimmed stored address: to the conversation, from the bot, to the user, in the tenant', async () => {
    const chat = teamsChat({ serviceUrl: connector.url, botId: 'bot' });
    const stored = JSON.parse(JSON.stringify(addressFromActivity(messageActivity(chat, 'hi'))));
    expect(Object.keys(stored).sort()).toEqual(['bot', 'channelId', 'conversation', 'serviceUrl', 'user']);
    await surface.send(stored, { kind: 'text', text: 'Beth joined the chat' });
    const request = connector.requests.at(-1)!;
    expect(request.conversationId).toBe(chat.conversationId);
    expect(request.body).toMatchObject({
      type: 'message',
      text: 'Beth joined the chat',
      channelId: 'msteams',
      serviceUrl: connector.url,
      from: { id: '28:bot' },
      recipient: { id: chat.userId },
      conversation: { id: chat.conversationId, tenantId: chat.tenantId },
    });
  });

  it('attributes agent text to the agent', async () => {
    await surface.send(address, { kind: 'text', text: 'Can you restart?', from: { id: 'a1', name: 'Beth' } });
    expect(lastBody().text).toBe('**Beth:** Can you restart?');
  });

  it('sends a card view as an Adaptive Card attachment with a notification summary', async () => {
    await surface.send(address, {
      kind: 'card',
      view: { type: 'offer', offerId: 'o-1', message: 'I can connect you with a live agent.', showButton: true },
    });
    const body = lastBody();
    expect(body.summary).toBe('I can connect you with a live agent.');
    expect(body.attachments).toHaveLength(1);
    const [attachment] = body.attachments;
    expect(attachment.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(attachment.content.version).toBe('1.5');
    expect(parseCardAction(attachment.content.actions[0].data)).toEqual({ lab: 'startChat', offerId: 'o-1' });
  });

  it('renders the agentMessage view as a card', async () => {
    await surface.send(address, {
      kind: 'card',
      view: { type: 'agentMessage', agent: { id: 'a1', name: 'Beth', avatarUrl: 'https://x/b.png' }, text: 'Hello' },
    });
    expect(lastBody().attachments[0].content.body[0].type).toBe('ColumnSet');
  });

  it('sends agent images inline and other files as links', async () => {
    await surface.send(address, {
      kind: 'text',
      text: 'Here you go',
      from: { id: 'a1', name: 'Beth' },
      files: [
        { name: 'steps.png', contentType: 'image/png', url: 'https://desk.example.com/f/steps.png' },
        { name: 'tiny.gif', contentType: 'image/gif', content: new Uint8Array([71, 73, 70]) },
        { name: 'guide [v2].pdf', contentType: 'application/pdf', url: 'https://desk.example.com/f/guide.pdf' },
        { name: 'huge.bin', contentType: 'application/octet-stream', content: new Uint8Array(10) },
      ],
    });
    const body = lastBody();
    expect(body.text).toBe('**Beth:** Here you go\n\n📎 [guide (v2).pdf](https://desk.example.com/f/guide.pdf)');
    expect(body.attachments).toEqual([
      { contentType: 'image/png', contentUrl: 'https://desk.example.com/f/steps.png', name: 'steps.png' },
      { contentType: 'image/gif', contentUrl: 'data:image/gif;base64,R0lG', name: 'tiny.gif' },
    ]);
    expect(surfaceLogger.warn).toHaveBeenCalledWith(expect.objectContaining({ files: ['huge.bin'] }), expect.any(String));
  });

  it('keeps call order per conversation even when an earlier send is slowed by a retry', async () => {
    // The first request gets a 502 (Teams says retry it); it is retried after a backoff. Without
    // the per-conversation chain the later sends would overtake it.
    connector.failNext(1, { status: 502 });
    const texts = ['one', 'two', 'three', 'four', 'five'];
    await Promise.all(texts.map((text) => surface.send(address, { kind: 'text', text })));
    expect(connector.sent(conversationId).map((a) => a.text)).toEqual(texts);
    expect(connector.requests.filter((r) => r.status === 502)).toHaveLength(1);
  });

  it('retries a 429 after its Retry-After and succeeds', async () => {
    connector.failNext(1, { status: 429, retryAfter: 0 });
    await surface.send(address, { kind: 'text', text: 'after throttling' });
    expect(connector.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it.each([412, 503, 504])('retries a %i (Teams lists it as transient)', async (status) => {
    connector.failNext(2, { status });
    await surface.send(address, { kind: 'text', text: 'eventually' });
    expect(connector.requests.map((r) => r.status)).toEqual([status, status, 200]);
  });

  it('fails with a retryable surface_send_failed when throttling persists', async () => {
    connector.failNext(10, { status: 429, retryAfter: 0 });
    const err = await surface.send(address, { kind: 'text', text: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BridgeError);
    expect(err).toMatchObject({ code: ErrorCode.SurfaceSendFailed, status: 429, retryable: true });
    // 1 try + 3 retries.
    expect(connector.requests).toHaveLength(4);
  });

  it('does not repeat a send answered 500: Teams may have shown it already', async () => {
    connector.failNext(1, { status: 500 });
    const err = await surface.send(address, { kind: 'text', text: 'maybe delivered' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.SurfaceSendFailed, status: 500, retryable: true });
    expect(connector.requests).toHaveLength(1);
  });

  it('does repeat an update answered 500: replacing a card twice is harmless', async () => {
    const ref = await surface.send(address, { kind: 'text', text: 'card' });
    connector.failNext(1, { status: 500 });
    await surface.update(address, ref, { kind: 'text', text: 'card, updated' });
    expect(connector.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['POST 200', 'PUT 500', 'PUT 200']);
  });

  it('waits out a Retry-After given as seconds before trying again', async () => {
    connector.failNext(1, { status: 429, retryAfter: 1 });
    await surface.send(address, { kind: 'text', text: 'later' });
    const [first, second] = connector.requests;
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
  });

  it('does not retry a 403 (e.g. the app was uninstalled) and says retrying will not help', async () => {
    connector.failNext(1, { status: 403, body: { error: { code: 'BotNotInConversationRoster' } } });
    const err = await surface.send(address, { kind: 'text', text: 'x' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.SurfaceSendFailed, status: 403, retryable: false });
    expect(connector.requests).toHaveLength(1);
    // The chain is not poisoned by the failure.
    await surface.send(address, { kind: 'text', text: 'next' });
    expect(lastBody().text).toBe('next');
  });

  it('fails with a retryable surface_send_failed, sending nothing, when no bot token can be had', async () => {
    const signedOut = new TeamsSurface({
      // Only the token is asked of the adapter on a send; this one cannot sign in.
      adapter: {
        botToken: async () => Promise.reject(new Error('AADSTS7000215: invalid client secret')),
      } as unknown as ConnectorCachingCloudAdapter,
      appId: 'app-id',
      logger: logger(),
    });
    const err = await signedOut.send(address, { kind: 'text', text: 'x' }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: ErrorCode.SurfaceSendFailed,
      retryable: true,
      message: 'Teams send failed (could not get a bot token)',
    });
    expect(connector.requests).toEqual([]);
  });

  it('refuses to send an empty message', async () => {
    const err = await surface.send(address, { kind: 'text', text: '  ' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.SurfaceSendFailed, retryable: false });
    expect(connector.requests).toEqual([]);
  });

  it('rejects an address that is not a conversation reference without calling Teams', async () => {
    const err = await surface.send({ channel: 'C123' }, { kind: 'text', text: 'x' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.SurfaceSendFailed, retryable: false });
    expect(connector.requests).toEqual([]);
  });
});

describe('TeamsSurface.update', () => {
  it('replaces a sent card in place, without its buttons once it has a status', async () => {
    const view = { type: 'waiting' as const, sessionId: 's-1', title: 'Printer jam' };
    const ref = await surface.send(address, { kind: 'card', view });
    await surface.update(address, ref, { kind: 'card', view: { ...view, status: { text: 'Cancelled.' } } });

    const [update] = connector.updates(conversationId);
    expect(update.activityId).toBe(ref.activityId);
    expect(update.activity).toMatchObject({ type: 'message', id: ref.activityId });
    const card = (update.activity.attachments as any[])[0].content;
    expect(card.actions).toBeUndefined();
    expect(card.body.map((b: any) => b.text)).toContain('Cancelled.');
  });

  it('fails with surface_send_failed when the message cannot be updated', async () => {
    connector.failNext(1, { status: 404 });
    const err = await surface.update(address, { activityId: '1:gone' }, { kind: 'text', text: 'x' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.SurfaceSendFailed, status: 404, retryable: false });
  });
});

describe('TeamsSurface.sendTyping', () => {
  it('sends a typing activity', async () => {
    void surface.sendTyping(address);
    const request = await connector.waitFor((r) => r.body.type === 'typing');
    expect(request).toMatchObject({ method: 'POST', conversationId, status: 200 });
  });
});
