/**
 * The Teams channel port on the wire: real Bot Framework activities (signed by a local key
 * server) POSTed to /api/messages with the real CloudAdapter, replies and thread posts going to
 * the fake Bot Connector with the bot's token. A channel desk stands in as a registration that
 * de-duplicates by the messages' platform ids in the real memory store.
 */
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyvStore } from '../../adapters/store';
import type { ChannelMessage } from '../../bots/core/channel-port';
import { BridgeError, ErrorCode } from '../../bots/core/errors';
import type { UserEvent, UserEventHandler } from '../../bots/core/events';
import type { Logger } from '../../bots/core/ports';
import { createTeamsAdapter } from '../../bots/teams/adapter';
import { TeamsChannelPort } from '../../bots/teams/channel-port';
import { teamsSettingsSchema } from '../../bots/teams/config';
import { mountTeams } from '../../bots/teams/routes';
import { messageActivity, nextActivityId, postActivity, teamsChat } from '../helpers/bf-activity';
import { startFakeConnector, type FakeConnector } from '../helpers/fake-connector';
import { startKeyServer, type KeyServer } from '../helpers/key-server';

const APP_ID = '2f1e4a36-7d1c-4b8e-9f0a-5c3d2b1a0e9f';
const APP_PASSWORD = 'test-client-secret';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const TEAM = '19:team0general@thread.tacv2';
const AGENTS_CHANNEL = '19:agents0channel@thread.tacv2';

class RecordingHandler implements UserEventHandler {
  readonly events: UserEvent[] = [];
  async accept(event: UserEvent): Promise<'accepted' | 'duplicate'> {
    this.events.push(event);
    return 'accepted';
  }
}

interface ChannelSay {
  channel?: string;
  /** The thread's root; absent for a new root post. */
  root?: string;
  id?: string;
  mention?: boolean;
}

/** A message in a Teams channel as the Bot Connector delivers it (reference/handoff-modes.md). */
function channelActivity(serviceUrl: string, text: string, o: ChannelSay = {}) {
  const id = o.id ?? nextActivityId();
  const channel = o.channel ?? AGENTS_CHANNEL;
  const mention = o.mention ?? true;
  const at = '<at>Support Bot</at>';
  return {
    type: 'message',
    id,
    timestamp: new Date().toISOString(),
    serviceUrl,
    channelId: 'msteams',
    from: { id: '29:1beth', name: 'Beth Agent', aadObjectId: 'beth-aad-0001' },
    conversation: { conversationType: 'channel', isGroup: true, tenantId: TENANT, id: `${channel};messageid=${o.root ?? id}` },
    recipient: { id: `28:${APP_ID}`, name: 'Support Bot' },
    textFormat: 'plain',
    text: mention ? `${at} ${text}` : text,
    entities: mention ? [{ type: 'mention', text: at, mentioned: { id: `28:${APP_ID}`, name: 'Support Bot' } }] : [],
    channelData: { teamsChannelId: channel, teamsTeamId: TEAM, channel: { id: channel }, team: { id: TEAM }, tenant: { id: TENANT } },
    ...(o.root ? { replyToId: o.root } : {}),
  };
}

describe('Teams channels: the inbound router and the channel port', () => {
  let keys: KeyServer;
  let connector: FakeConnector;
  let server: Server;
  let url: string;
  let port: TeamsChannelPort;
  let otherProcess: TeamsChannelPort;
  let users: RecordingHandler;
  let heard: ChannelMessage[];
  let failNext: Error | undefined;
  let store: KeyvStore;

  beforeAll(async () => {
    keys = await startKeyServer({ appId: APP_ID, appPassword: APP_PASSWORD });
    connector = await startFakeConnector();
    const settings = teamsSettingsSchema.parse({
      MicrosoftAppId: APP_ID,
      MicrosoftAppPassword: APP_PASSWORD,
      ToBotFromChannelOpenIdMetadataUrl: keys.openIdMetadataUrl,
      ToBotFromChannelTokenIssuer: keys.issuer,
      ToChannelFromBotLoginUrl: keys.loginUrl,
    });
    const logger: Logger = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
    const adapter = createTeamsAdapter(settings, logger, { credentialsFactory: keys.credentialsFactory() });
    // Nowhere to be reached: until the channel is heard from, a post could not go anywhere real.
    store = KeyvStore.memory(`teams-channels-${Date.now()}`);
    const portOptions = {
      adapter,
      appId: APP_ID,
      tenantId: TENANT,
      serviceUrl: 'http://127.0.0.1:9/',
      logger,
      store,
      connector: { retries: 0 },
    };
    port = new TeamsChannelPort(portOptions);
    // Another process's port on the same store: it never hears the channel itself.
    otherProcess = new TeamsChannelPort(portOptions);
    port.onMessage({
      owns: ({ channel }) => channel === AGENTS_CHANNEL,
      accept: async (message) => {
        if (failNext) {
          const err = failNext;
          failNext = undefined;
          throw err;
        }
        const claims = await Promise.all(message.dedupeKeys.map((k) => store.claim(`test-channel-desk:${k}`, 60_000)));
        if (claims.every(Boolean)) heard.push(message);
      },
    });
    users = new RecordingHandler();
    const app = express();
    mountTeams(app, { adapter, handler: users, logger, routes: [port.route()] });
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await store.close();
    await connector.close();
    await keys.close();
  });
  beforeEach(() => {
    users.events.length = 0;
    heard = [];
    failNext = undefined;
    connector.reset();
  });

  const send = async (activity: object) => postActivity(url, activity, await keys.mintChannelToken({ serviceUrl: connector.url }));

  it('routes a root post and a thread reply in an owned channel to the registration, not to the user pipeline', async () => {
    const root = channelActivity(connector.url, 'who can take the printer chat?');
    expect((await send(root)).status).toBe(200);
    const reply = channelActivity(connector.url, 'I can', { root: root.id, mention: false });
    expect((await send(reply)).status).toBe(200);

    expect(heard).toEqual([
      {
        surface: 'teams',
        channel: AGENTS_CHANNEL,
        thread: root.id,
        messageId: root.id,
        author: { id: 'beth-aad-0001', name: 'Beth Agent' },
        text: 'who can take the printer chat?',
        files: [],
        dedupeKeys: [`teams:${AGENTS_CHANNEL};messageid=${root.id}:${root.id}`],
      },
      expect.objectContaining({ channel: AGENTS_CHANNEL, thread: root.id, messageId: reply.id, text: 'I can' }),
    ]);
    expect(users.events).toEqual([]);
    // The turn itself sends nothing.
    expect(connector.requests).toEqual([]);
  });

  it('hands what no channel route selects to the user pipeline, as before: 1:1 chats and channels nobody owns', async () => {
    const chat = teamsChat({ serviceUrl: connector.url, botId: APP_ID });
    expect((await send(messageActivity(chat, 'I need a live agent'))).status).toBe(200);
    expect((await send(channelActivity(connector.url, 'hello', { channel: '19:other@thread.tacv2' }))).status).toBe(200);

    expect(users.events.map((e) => (e.type === 'message' ? e.text : e.type))).toEqual(['I need a live agent', 'hello']);
    expect(heard).toEqual([]);
  });

  it('drops a redelivered channel activity by its conversation and activity id', async () => {
    const message = channelActivity(connector.url, 'please take this one');
    expect((await send(message)).status).toBe(200);
    expect((await send(message)).status).toBe(200);
    expect((await send(channelActivity(connector.url, 'and this one'))).status).toBe(200);
    expect(heard.map((m) => m.text)).toEqual(['please take this one', 'and this one']);
  });

  it('answers 503 with Retry-After when the registration cannot take the message; the redelivery lands', async () => {
    failNext = new BridgeError(ErrorCode.StoreUnavailable, 'store down');
    const message = channelActivity(connector.url, 'urgent');
    const refused = await send(message);
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('5');
    expect((await send(message)).status).toBe(200);
    expect(heard.map((m) => m.text)).toEqual(['urgent']);
  });

  it('refuses an unauthenticated channel activity before any route sees it', async () => {
    const res = await postActivity(url, channelActivity(connector.url, 'forged'));
    expect(res.status).toBe(401);
    expect(heard).toEqual([]);
    expect(users.events).toEqual([]);
  });

  it('posts a thread where the channel was heard from, replies in it and updates the root, with the bot token', async () => {
    // Learn the channel's service URL from its own activity (the configured default is unreachable).
    await send(channelActivity(connector.url, 'hello bot'));

    const root = await port.postThread(AGENTS_CHANNEL, { text: '**New chat** from Ana: printer on fire' });
    const create = await connector.waitFor((r) => r.method === 'POST' && r.path === '/v3/conversations');
    expect(create.body).toMatchObject({
      isGroup: true,
      tenantId: TENANT,
      bot: { id: `28:${APP_ID}` },
      channelData: { channel: { id: AGENTS_CHANNEL }, tenant: { id: TENANT } },
      activity: { type: 'message', text: '**New chat** from Ana: printer on fire', textFormat: 'markdown' },
    });
    expect(root).toEqual({ channel: AGENTS_CHANNEL, thread: create.assignedId, message: create.assignedId });

    const reply = await port.reply(root, { text: 'History: the user tried turning it off and on' });
    const threadId = `${AGENTS_CHANNEL};messageid=${root.thread}`;
    const [posted] = connector.sent(threadId);
    expect(posted).toMatchObject({
      type: 'message',
      text: 'History: the user tried turning it off and on',
      conversation: { id: threadId },
    });
    expect(reply).toMatchObject({ channel: AGENTS_CHANNEL, thread: root.thread });
    expect(reply.message).toBe(connector.requests.find((r) => r.conversationId === threadId && r.path.endsWith('/activities'))?.assignedId);

    await port.update(root, { text: '**Claimed** by Beth' });
    expect(connector.updates(threadId)).toEqual([
      { activityId: root.message, activity: expect.objectContaining({ id: root.message, text: '**Claimed** by Beth' }) },
    ]);

    // Every call carried a token our key server issued for this bot.
    for (const r of connector.requests) {
      expect(r.authorization).toMatch(/^Bearer /);
      expect(keys.issuedTokens).toContain(r.authorization!.slice('Bearer '.length));
    }
  });

  it('shares where the channel lives through the store: another process posts to the same service URL', async () => {
    await send(channelActivity(connector.url, 'hello bot'));
    const root = await otherProcess.postThread(AGENTS_CHANNEL, { text: 'from the other process' });
    const create = await connector.waitFor((r) => r.method === 'POST' && r.path === '/v3/conversations');
    expect(create.body).toMatchObject({ tenantId: TENANT, activity: { text: 'from the other process' } });
    expect(root.thread).toBe(create.assignedId);
  });

  it('turns a refused post into a typed error', async () => {
    await send(channelActivity(connector.url, 'hello bot'));
    connector.failNext(1, { status: 403, body: { error: { code: 'BotNotInConversationRoster' } } });
    await expect(port.postThread(AGENTS_CHANNEL, { text: 'hello' })).rejects.toMatchObject({
      code: ErrorCode.SurfaceSendFailed,
      status: 403,
      retryable: false,
    });
  });
});
