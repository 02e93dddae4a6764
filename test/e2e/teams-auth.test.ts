/**
 * The Teams endpoint on the wire, with the real CloudAdapter: signed Bot Framework tokens from a
 * local key server, replies to a local fake Bot Connector. Authentication ON (app id set) and OFF
 * (local development).
 */
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTeamsAdapter, type ConnectorCachingCloudAdapter } from '../../bots/teams/adapter';
import { teamsSettingsSchema } from '../../bots/teams/config';
import { mountTeams } from '../../bots/teams/routes';
import { TeamsSurface } from '../../bots/teams/surface';
import { BridgeError, ErrorCode } from '../../bots/core/errors';
import type { UserEvent, UserEventHandler } from '../../bots/core/events';
import type { Logger } from '../../bots/core/ports';
import {
  cardSubmitActivity,
  conversationUpdateActivity,
  messageActivity,
  postActivity,
  teamsChat,
  typingActivity,
} from '../helpers/bf-activity';
import { startFakeConnector, type FakeConnector } from '../helpers/fake-connector';
import { startKeyServer, type KeyServer } from '../helpers/key-server';

const APP_ID = '2f1e4a36-7d1c-4b8e-9f0a-5c3d2b1a0e9f';
const APP_PASSWORD = 'test-client-secret';

const quietLogger = (): Logger => ({ debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() });

class RecordingHandler implements UserEventHandler {
  readonly events: UserEvent[] = [];
  failWith?: Error;
  async accept(event: UserEvent): Promise<'accepted' | 'duplicate'> {
    if (this.failWith) throw this.failWith;
    this.events.push(event);
    return 'accepted';
  }
}

interface Bot {
  url: string;
  adapter: ConnectorCachingCloudAdapter;
  handler: RecordingHandler;
  logger: Logger;
  close(): Promise<void>;
}

async function startBot(settingsInput: Record<string, unknown>, keys?: KeyServer): Promise<Bot> {
  const settings = teamsSettingsSchema.parse(settingsInput);
  const logger = quietLogger();
  const adapter = createTeamsAdapter(settings, logger, { credentialsFactory: keys?.credentialsFactory() });
  const handler = new RecordingHandler();
  const app = express();
  mountTeams(app, { adapter, handler, logger });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    adapter,
    handler,
    logger,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

beforeEach(() => {
  // botbuilder console.errors every rejected token; the assertions below say what matters.
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

describe('Teams endpoint with Bot Framework authentication', () => {
  let keys: KeyServer;
  let connector: FakeConnector;
  let bot: Bot;

  beforeAll(async () => {
    keys = await startKeyServer({ appId: APP_ID, appPassword: APP_PASSWORD });
    connector = await startFakeConnector();
    bot = await startBot(
      {
        MicrosoftAppId: APP_ID,
        MicrosoftAppPassword: APP_PASSWORD,
        // Only these three are overridden; the adapter must fill in the rest (OAuth scope, ...).
        ToBotFromChannelOpenIdMetadataUrl: keys.openIdMetadataUrl,
        ToBotFromChannelTokenIssuer: keys.issuer,
        ToChannelFromBotLoginUrl: keys.loginUrl,
      },
      keys,
    );
  });
  afterAll(async () => {
    await bot.close();
    await connector.close();
    await keys.close();
  });
  beforeEach(() => {
    bot.handler.events.length = 0;
    connector.reset();
  });

  const chat = () => teamsChat({ serviceUrl: connector.url, botId: APP_ID });

  it('accepts a correctly signed activity and hands the event to the broker', async () => {
    const c = chat();
    const activity = messageActivity(c, 'I need a live agent');
    const token = await keys.mintChannelToken({ serviceUrl: c.serviceUrl });

    const res = await postActivity(bot.url, activity, token);

    expect(res.status).toBe(200);
    expect(bot.handler.events).toHaveLength(1);
    expect(bot.handler.events[0]).toMatchObject({
      type: 'message',
      text: 'I need a live agent',
      messageId: activity.id,
      dedupeKeys: [`teams:${c.conversationId}:${activity.id}`],
      user: {
        surface: 'teams',
        profile: { id: c.aadObjectId, name: c.userName, locale: 'en-US', timeZone: 'America/Los_Angeles' },
        address: { serviceUrl: c.serviceUrl, conversation: { id: c.conversationId } },
      },
    });
    // The turn itself sends nothing: replies are proactive.
    expect(connector.requests).toEqual([]);
  });

  it.each<[string, (c: ReturnType<typeof chat>) => Promise<string | undefined>]>([
    ['no token', async () => undefined],
    ['an expired token', (c) => keys.mintChannelToken({ serviceUrl: c.serviceUrl, expiresIn: -600 })],
    ['a token not valid yet', (c) => keys.mintChannelToken({ serviceUrl: c.serviceUrl, notBefore: 600 })],
    ['a token signed by a key the JWKS does not list', (c) => keys.mintChannelToken({ serviceUrl: c.serviceUrl, key: 'unknown-kid' })],
    ['a forged token that reuses the published key id', (c) => keys.mintChannelToken({ serviceUrl: c.serviceUrl, key: 'forged' })],
    [
      'a token for another bot',
      (c) => keys.mintChannelToken({ serviceUrl: c.serviceUrl, audience: 'f0000000-0000-0000-0000-000000000000' }),
    ],
    ['a token from another issuer', (c) => keys.mintChannelToken({ serviceUrl: c.serviceUrl, issuer: 'https://evil.example' })],
    ['a token minted for another serviceUrl', () => keys.mintChannelToken({ serviceUrl: 'https://evil.example/amer/' })],
    ['garbage', async () => 'not-a-jwt'],
  ])('rejects %s with 401 and hands nothing on', async (_name, token) => {
    const c = chat();
    const res = await postActivity(bot.url, messageActivity(c, 'hello'), await token(c));
    expect(res.status).toBe(401);
    expect(bot.handler.events).toEqual([]);
  });

  it('rejects a token whose key is not endorsed for the activity channel', async () => {
    const c = chat();
    const activity = { ...messageActivity(c, 'hello'), channelId: 'webchat' };
    const res = await postActivity(bot.url, activity, await keys.mintChannelToken({ serviceUrl: c.serviceUrl }));
    expect(res.status).toBe(401);
    expect(bot.handler.events).toEqual([]);
  });

  it('passes a redelivered activity on with the same dedupe keys (the broker drops it)', async () => {
    const c = chat();
    const activity = messageActivity(c, 'hello twice');
    const token = await keys.mintChannelToken({ serviceUrl: c.serviceUrl });

    expect((await postActivity(bot.url, activity, token)).status).toBe(200);
    expect((await postActivity(bot.url, activity, token)).status).toBe(200);

    const [first, second] = bot.handler.events;
    expect(first.dedupeKeys).toEqual([`teams:${c.conversationId}:${activity.id}`]);
    expect(second.dedupeKeys).toEqual(first.dedupeKeys);
  });

  it('answers 503 with Retry-After when the store cannot take the event, so Teams redelivers it', async () => {
    const c = chat();
    bot.handler.failWith = new BridgeError(ErrorCode.StoreUnavailable, 'store down');
    try {
      const res = await postActivity(bot.url, messageActivity(c, 'hello'), await keys.mintChannelToken({ serviceUrl: c.serviceUrl }));
      expect(res.status).toBe(503);
      expect(res.retryAfter).toBe('5');
      expect(JSON.parse(res.body)).toEqual({ error: 'store_unavailable' });
      expect(bot.logger.error).toHaveBeenCalled();
    } finally {
      bot.handler.failWith = undefined;
    }
  });

  it('answers 500 (still redelivered) when the broker fails with an error that maps below 500', async () => {
    const c = chat();
    bot.handler.failWith = new BridgeError(ErrorCode.BadRequest, 'odd');
    try {
      const res = await postActivity(bot.url, messageActivity(c, 'hello'), await keys.mintChannelToken({ serviceUrl: c.serviceUrl }));
      expect(res.status).toBe(500);
      expect(res.retryAfter).toBeNull();
    } finally {
      bot.handler.failWith = undefined;
    }
  });

  it('sends proactively with a bearer token from the token endpoint', async () => {
    const c = chat();
    // The user writes first: that is where the address comes from.
    await postActivity(bot.url, messageActivity(c, 'hi'), await keys.mintChannelToken({ serviceUrl: c.serviceUrl }));
    const { address } = bot.handler.events[0].user;
    const surface = new TeamsSurface({ adapter: bot.adapter, appId: APP_ID, logger: quietLogger() });

    const ref = await surface.send(address, { kind: 'text', text: 'An agent will be with you shortly.' });

    const [request] = connector.requests;
    expect(request).toMatchObject({ method: 'POST', conversationId: c.conversationId, status: 200 });
    expect(request.body).toMatchObject({ type: 'message', text: 'An agent will be with you shortly.' });
    expect(ref).toEqual({ activityId: request.assignedId });

    // The token came from our endpoint, for this app, for the Bot Connector audience.
    expect(request.authorization).toMatch(/^Bearer /);
    const token = request.authorization!.slice('Bearer '.length);
    expect(keys.issuedTokens).toContain(token);
    expect(await keys.verifyIssuedToken(token)).toMatchObject({ appid: APP_ID, aud: 'https://api.botframework.com' });
    expect(keys.tokenRequests.at(-1)).toMatchObject({ clientId: APP_ID, grantType: 'client_credentials', status: 200 });

    // Updates carry the token too.
    await surface.update(address, ref, { kind: 'text', text: 'edited' });
    const [update] = connector.updates(c.conversationId);
    expect(update.activityId).toBe(ref.activityId);
    expect(connector.requests.at(-1)?.authorization).toBe(request.authorization);
  });
});

describe('Teams endpoint without an app id (local development)', () => {
  let connector: FakeConnector;
  let bot: Bot;

  beforeAll(async () => {
    connector = await startFakeConnector();
    bot = await startBot({});
  });
  afterAll(async () => {
    await bot.close();
    await connector.close();
  });
  beforeEach(() => {
    bot.handler.events.length = 0;
    connector.reset();
  });

  const chat = () => teamsChat({ serviceUrl: connector.url, botId: 'local-bot' });

  it('accepts unauthenticated activities and warns that auth is off', async () => {
    const c = chat();
    const res = await postActivity(bot.url, messageActivity(c, 'hello'));
    expect(res.status).toBe(200);
    expect(bot.handler.events).toMatchObject([{ type: 'message', text: 'hello' }]);
    expect(bot.logger.warn).toHaveBeenCalledWith(expect.anything(), expect.stringMatching(/authentication is OFF/));
  });

  it('translates clicks and typing, and answers 200 to what it ignores', async () => {
    const c = chat();
    expect((await postActivity(bot.url, conversationUpdateActivity(c))).status).toBe(200);
    expect((await postActivity(bot.url, typingActivity(c))).status).toBe(200);
    expect((await postActivity(bot.url, cardSubmitActivity(c, { lab: 'startChat', offerId: 'o-1' }, '1:card'))).status).toBe(200);
    expect(bot.handler.events.map((e) => e.type)).toEqual(['typing', 'startChat']);
    expect(bot.handler.events[1]).toMatchObject({ offerId: 'o-1', source: { activityId: '1:card' } });
  });

  it('answers an invoke it has no handler for as botbuilder does (501), handing nothing on', async () => {
    const c = chat();
    const invoke = {
      ...messageActivity(c, ''),
      type: 'invoke',
      name: 'adaptiveCard/action',
      value: { action: { type: 'Action.Execute' } },
    };
    const res = await postActivity(bot.url, invoke);
    expect(res.status).toBe(501);
    expect(bot.handler.events).toEqual([]);
  });

  it('rejects a body that is not an activity', async () => {
    const res = await fetch(`${bot.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(res.status).toBe(400);
    expect(bot.handler.events).toEqual([]);
  });

  it('sends proactively without a token', async () => {
    const c = chat();
    await postActivity(bot.url, messageActivity(c, 'hi'));
    const surface = new TeamsSurface({ adapter: bot.adapter, appId: '', logger: quietLogger() });

    const ref = await surface.send(bot.handler.events[0].user.address, { kind: 'text', text: 'Hello from the agent side' });

    const [request] = connector.requests;
    expect(request).toMatchObject({ method: 'POST', conversationId: c.conversationId, status: 200 });
    expect(request.body).toMatchObject({ type: 'message', text: 'Hello from the agent side', recipient: { id: c.userId } });
    expect(request.authorization).toBeUndefined();
    expect(ref).toEqual({ activityId: request.assignedId });
  });
});
