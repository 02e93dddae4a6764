/**
 * The seam of bots/teams/turn-entry.ts: botbuilder's public `CloudAdapter.process` and the
 * bridge's direct entry answer every request alike. Two endpoints, one per entry, with Bot
 * Framework authentication on (tokens from a local key server); each request goes to both, and
 * their statuses, bodies, Retry-After and the events they handed on must be the same.
 */
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTeamsAdapter } from '../../bots/teams/adapter';
import { teamsSettingsSchema } from '../../bots/teams/config';
import { mountTeams } from '../../bots/teams/routes';
import type { TurnEntryKind } from '../../bots/teams/turn-entry';
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

class RecordingHandler implements UserEventHandler {
  readonly events: UserEvent[] = [];
  failWith?: Error;
  async accept(event: UserEvent): Promise<'accepted' | 'duplicate'> {
    if (this.failWith) throw this.failWith;
    this.events.push(event);
    return 'accepted';
  }
}

interface Endpoint {
  url: string;
  handler: RecordingHandler;
  /** Every activity as the turn saw it (a route that records and selects nothing). */
  activities: Record<string, unknown>[];
  close(): Promise<void>;
}

async function startEndpoint(kind: TurnEntryKind, keys: KeyServer): Promise<Endpoint> {
  const settings = teamsSettingsSchema.parse({
    MicrosoftAppId: APP_ID,
    MicrosoftAppPassword: APP_PASSWORD,
    ToBotFromChannelOpenIdMetadataUrl: keys.openIdMetadataUrl,
    ToBotFromChannelTokenIssuer: keys.issuer,
    ToChannelFromBotLoginUrl: keys.loginUrl,
  });
  const logger: Logger = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const adapter = createTeamsAdapter(settings, logger, { credentialsFactory: keys.credentialsFactory() });
  const handler = new RecordingHandler();
  const activities: Record<string, unknown>[] = [];
  const spy = {
    name: 'spy',
    select: (activity: object) => {
      activities.push(activity as Record<string, unknown>);
      return false;
    },
    handle: async () => undefined,
  };
  const app = express();
  mountTeams(app, { adapter, handler, logger, entry: kind, routes: [spy] });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    handler,
    activities,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('Teams turn entries: public (CloudAdapter.process) and direct answer alike', () => {
  let keys: KeyServer;
  let connector: FakeConnector;
  let publicEndpoint: Endpoint;
  let directEndpoint: Endpoint;

  beforeAll(async () => {
    keys = await startKeyServer({ appId: APP_ID, appPassword: APP_PASSWORD });
    connector = await startFakeConnector();
    publicEndpoint = await startEndpoint('public', keys);
    directEndpoint = await startEndpoint('direct', keys);
  });
  afterAll(async () => {
    await publicEndpoint.close();
    await directEndpoint.close();
    await connector.close();
    await keys.close();
  });
  beforeEach(() => {
    // botbuilder's `process` console.errors every failure; the answers say what matters.
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    for (const endpoint of [publicEndpoint, directEndpoint]) {
      endpoint.handler.events.length = 0;
      endpoint.activities.length = 0;
    }
  });
  afterEach(() => jest.restoreAllMocks());

  const chat = () => teamsChat({ serviceUrl: connector.url, botId: APP_ID });
  const validToken = (c: ReturnType<typeof chat>) => keys.mintChannelToken({ serviceUrl: c.serviceUrl });

  /** The same request to both endpoints; resolves with both answers and the events each handed on. */
  async function both(activity: object, token: string | undefined) {
    const answers = [];
    for (const endpoint of [publicEndpoint, directEndpoint]) {
      const res = await postActivity(endpoint.url, activity, token);
      answers.push({ status: res.status, body: res.body, retryAfter: res.retryAfter, events: [...endpoint.handler.events] });
    }
    return { public: answers[0], direct: answers[1] };
  }

  it.each<[string, (c: ReturnType<typeof chat>) => object, number]>([
    ['a message', (c) => messageActivity(c, 'I need a live agent'), 200],
    ['a card click', (c) => cardSubmitActivity(c, { lab: 'startChat', offerId: 'o-1' }, '1:card'), 200],
    ['typing', (c) => typingActivity(c), 200],
    ['a conversationUpdate (ignored)', (c) => conversationUpdateActivity(c), 200],
    [
      'an invoke nobody answers (501)',
      (c) => ({ ...messageActivity(c, ''), type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute' } } }),
      501,
    ],
    ['an ExpectReplies message (its replies in the body)', (c) => ({ ...messageActivity(c, 'hello'), deliveryMode: 'expectReplies' }), 200],
  ])('%s', async (_name, make, status) => {
    const c = chat();
    const activity = make(c);
    const answers = await both(activity, await validToken(c));
    expect(answers.public.status).toBe(status);
    expect(answers.direct).toEqual(answers.public);
  });

  it('gives the turn the same activity: dates parsed, callerId set, the events equal', async () => {
    const c = chat();
    const answers = await both(messageActivity(c, 'same event'), await validToken(c));
    expect(answers.public.events).toHaveLength(1);
    expect(answers.direct.events).toEqual(answers.public.events);
    const [seenPublic] = publicEndpoint.activities;
    const [seenDirect] = directEndpoint.activities;
    expect(seenPublic.timestamp).toBeInstanceOf(Date);
    expect(seenPublic.rawTimestamp).toEqual(expect.any(String));
    expect(seenPublic.callerId).toBe('urn:botframework:azure');
    expect(seenDirect).toEqual(seenPublic);
  });

  it('answers the invoke body botbuilder builds for ExpectReplies', async () => {
    const c = chat();
    const answers = await both({ ...messageActivity(c, 'hello'), deliveryMode: 'expectReplies' }, await validToken(c));
    expect(JSON.parse(answers.direct.body)).toEqual({ activities: [] });
  });

  it.each<[string, (c: ReturnType<typeof chat>) => Promise<string | undefined>]>([
    ['no token', async () => undefined],
    ['an expired token', (c) => keys.mintChannelToken({ serviceUrl: c.serviceUrl, expiresIn: -600 })],
    ['a forged token that reuses the published key id', (c) => keys.mintChannelToken({ serviceUrl: c.serviceUrl, key: 'forged' })],
    [
      'a token for another bot',
      (c) => keys.mintChannelToken({ serviceUrl: c.serviceUrl, audience: 'f0000000-0000-0000-0000-000000000000' }),
    ],
    ['a token minted for another serviceUrl', () => keys.mintChannelToken({ serviceUrl: 'https://evil.example/amer/' })],
    ['garbage', async () => 'not-a-jwt'],
  ])('refuses %s alike (401, nothing handed on)', async (_name, token) => {
    const c = chat();
    const answers = await both(messageActivity(c, 'hello'), await token(c));
    expect(answers.public).toMatchObject({ status: 401, events: [] });
    expect(answers.direct).toEqual(answers.public);
  });

  it('answers a broker failure alike (503 with Retry-After)', async () => {
    const c = chat();
    const failure = new BridgeError(ErrorCode.StoreUnavailable, 'store down');
    publicEndpoint.handler.failWith = failure;
    directEndpoint.handler.failWith = failure;
    try {
      const answers = await both(messageActivity(c, 'hello'), await validToken(c));
      expect(answers.public).toMatchObject({ status: 503, retryAfter: '5' });
      expect(answers.direct).toEqual(answers.public);
    } finally {
      publicEndpoint.handler.failWith = undefined;
      directEndpoint.handler.failWith = undefined;
    }
  });
});
