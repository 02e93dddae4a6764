/**
 * Redis stops mid-chat, then comes back (a Redis of the test's own, on a free port, stopped and
 * started by the test; append-only, so its data survives like a production Redis's):
 * - while it is down, `/readyz` says 503 and every inbound door answers 503 with `Retry-After`
 *   (Teams, Slack, the web chat, the console, broadcasts), so platforms retry instead of taking
 *   a 2xx for an event nobody could record;
 * - once it is back, readiness returns to 200 by itself (the client reconnects), the chat goes on
 *   both ways, a refused activity that Teams sends again is taken, and everything that got a 2xx
 *   before the outage reached the other side exactly once;
 * - a broadcast being delivered when Redis stops waits the outage out and finishes after it,
 *   nobody getting it twice;
 * - Slack in Socket Mode: an envelope that arrives while Redis is down is left unacknowledged (Bolt
 *   would acknowledge it before any listener runs), so Slack's redelivery is what gets through.
 */
import { randomUUID } from 'node:crypto';
import { isOffer, isWaiting, type TeamsUser } from '../helpers/bridge-harness';
import { messageActivity, postActivity } from '../helpers/bf-activity';
import { eventually } from '../helpers/eventually';
import { describeWithRedisServer, ownRedis, type OwnRedis } from '../helpers/own-redis';
import { startFakeSocketMode, type FakeSocketMode } from '../helpers/fake-slack-socket';
import { hasButton, postToSlackEndpoint, startSlackHarness, type SlackHarness } from '../helpers/slack-harness';
import { WebChatUser } from '../helpers/web-user';

const BROADCAST_TOKEN = 'broadcast-token-redis-down-0123';

async function readiness(url: string): Promise<number> {
  return (await fetch(`${url}/readyz`)).status;
}

describeWithRedisServer('Redis down mid-chat', () => {
  let redis: OwnRedis;
  let h: SlackHarness;
  let web: WebChatUser | undefined;

  beforeAll(async () => {
    redis = await ownRedis();
    await redis.start();
    h = await startSlackHarness({
      config: {
        store: { redisUrl: redis.url, namespace: `down-${randomUUID()}` },
        broadcasts: { token: BROADCAST_TOKEN, ratePerSecond: { teams: 2 }, minIntervalPerUserMs: 0 },
      },
    });
  });
  afterAll(async () => {
    await web?.close();
    await h?.close();
    await redis?.dispose();
  });

  /** Ana's chat goes live with Beth; resolves with the console's chat id. */
  async function liveChat(ana: TeamsUser): Promise<string> {
    await ana.say('My laptop will not start');
    await ana.click(await ana.waitForCard(isOffer), 'startChat');
    await ana.waitForCard(isWaiting);
    const chatId = await eventually(async () => {
      const chat = (await h.beth.chats()).find((c) => c.title.startsWith('My laptop'));
      if (!chat) throw new Error('not queued yet');
      return chat.id;
    });
    await h.beth.accept(chatId);
    await ana.waitForCard((c) => c.text.includes('Beth joined'));
    return chatId;
  }

  it('answers 503 while Redis is down, recovers by itself, and loses nothing acknowledged', async () => {
    const ana = h.teamsUser({ userName: 'Ana' });
    const chatId = await liveChat(ana);
    web = await WebChatUser.start(h.url);
    const sam = h.slackUser();

    // Acknowledged before the outage, both ways.
    const fromAna = ['first from Ana', 'second from Ana'];
    const fromBeth = ['first from Beth', 'second from Beth'];
    for (const text of fromAna) await ana.say(text); // throws unless 200
    for (const text of fromBeth) await h.beth.post(chatId, text); // throws unless 2xx
    await h.bridge.broker.idle();

    await redis.stop();
    await eventually(async () => expect(await readiness(h.url)).toBe(503), 10_000, 100);

    // Teams: 503 with Retry-After, so the Bot Framework redelivers.
    const refused = messageActivity(ana.chat, 'sent while Redis was down');
    const teams = await postActivity(h.url, refused);
    expect(teams.status).toBe(503);
    expect(teams.retryAfter).toBe('5');

    // Slack (Bolt would acknowledge first): refused before Bolt sees it.
    const slack = await postToSlackEndpoint(h.url, JSON.stringify(sam.messageEnvelope('hello from Slack').body), 'application/json');
    expect(slack.status).toBe(503);

    // The web chat, the console and the broadcast API: the same 503 and the same words.
    const webSay = await web.request('POST', '/messages', { body: { id: randomUUID(), text: 'web while down' } });
    const consolePost = await h.beth.request('POST', `/api/chats/${encodeURIComponent(chatId)}/messages`, {
      body: { text: 'Beth while down' },
    });
    const broadcast = await fetch(`${h.url}/api/broadcasts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${BROADCAST_TOKEN}` },
      body: JSON.stringify({ recipients: 'all', message: { title: 'Maintenance tonight', text: 'The VPN is down from 02:00.' } }),
    });
    for (const answer of [webSay, consolePost, { status: broadcast.status, headers: broadcast.headers, body: await broadcast.json() }]) {
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('5');
      expect(answer.body).toEqual({
        error: { code: 'store_unavailable', message: 'The bridge cannot reach its store right now. Try again in a few seconds.' },
      });
    }

    // Redis returns on the same port, with its data: the bridge notices by itself.
    await redis.start();
    await eventually(async () => expect(await readiness(h.url)).toBe(200), 20_000, 100);

    // Teams sends the refused activity again: it is taken (no dedupe mark was left behind).
    expect((await postActivity(h.url, refused)).status).toBe(200);
    // The chat goes on both ways.
    await ana.say('after Redis came back');
    await h.beth.post(chatId, 'Beth after Redis came back');
    await ana.waitForText('**Beth:** Beth after Redis came back', 10_000);
    await eventually(async () => {
      const texts = (await h.beth.messages(chatId)).map((m) => m.text);
      expect(texts).toEqual(expect.arrayContaining(['sent while Redis was down', 'after Redis came back']));
    }, 10_000);

    // Everything acknowledged, before and after, arrived once; what was refused did not arrive.
    await h.bridge.broker.idle();
    const atBeth = (await h.beth.messages(chatId)).map((m) => m.text);
    for (const text of [...fromAna, 'sent while Redis was down', 'after Redis came back']) {
      expect(atBeth.filter((t) => t === text)).toHaveLength(1);
    }
    const atAna = ana.texts();
    for (const text of [...fromBeth, 'Beth after Redis came back']) {
      expect(atAna.filter((t) => t === `**Beth:** ${text}`)).toHaveLength(1);
    }
    expect(atAna.some((t) => t.includes('Beth while down'))).toBe(false);
  });

  it('pauses a broadcast in flight while Redis is down and finishes it after, sending nobody two', async () => {
    const users: TeamsUser[] = [];
    for (let i = 0; i < 8; i++) {
      const user = h.teamsUser({ userName: `Reader ${i}` });
      await user.say('hello');
      await user.waitForText(/connect you with a live agent/);
      users.push(user);
    }
    const title = `Outage drill ${randomUUID().slice(0, 8)}`;
    const created = await fetch(`${h.url}/api/broadcasts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${BROADCAST_TOKEN}` },
      body: JSON.stringify({
        recipients: users.map((u) => ({ surface: 'teams', user: u.id })),
        message: { title, text: 'Nothing to do.' },
      }),
    });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    const copies = (user: TeamsUser) => user.sent().filter((r) => JSON.stringify(r.body).includes(title)).length;
    const reached = () => users.filter((u) => copies(u) > 0).length;

    // Two a second: Redis stops with most of them still to go.
    await eventually(() => expect(reached()).toBeGreaterThanOrEqual(2), 10_000);
    await redis.stop();
    const before = reached();
    await eventually(async () => expect(await readiness(h.url)).toBe(503), 10_000, 100);
    // Down long enough for the delivery to try the store several times (it sends every 0.5 s).
    await new Promise((r) => setTimeout(r, 2000));
    await redis.start();
    await eventually(async () => expect(await readiness(h.url)).toBe(200), 20_000, 100);

    const done = await eventually(
      async () => {
        const res = await fetch(`${h.url}/api/broadcasts/${id}`, { headers: { authorization: `Bearer ${BROADCAST_TOKEN}` } });
        const report = (await res.json()) as {
          status: string;
          counts: Record<string, number>;
          recipients: { user: string; outcome: string; reason?: string }[];
        };
        if (report.status !== 'done') throw new Error(`still ${report.status}: ${JSON.stringify(report.counts)}`);
        return report;
      },
      20_000,
      100,
    );
    expect(done.counts.pending).toBe(0);
    // Delivered after the outage too, and to nobody twice; a send cut by the outage is reported.
    expect(done.counts.delivered).toBeGreaterThan(before);
    for (const user of users) {
      const result = done.recipients.find((r) => r.user === user.id)!;
      if (result.outcome === 'delivered') expect(copies(user)).toBe(1);
      else expect({ outcome: result.outcome, copies: copies(user) }).toEqual({ outcome: 'failed', copies: 0 });
    }
  });

  describe('Slack in Socket Mode', () => {
    const APP_TOKEN = 'xapp-1-A0BRIDGE-1234-redisdown';
    let redis2: OwnRedis;
    let socket: FakeSocketMode;
    let s: SlackHarness;

    beforeAll(async () => {
      redis2 = await ownRedis();
      await redis2.start();
      socket = await startFakeSocketMode();
      s = await startSlackHarness({
        appToken: APP_TOKEN,
        prepare: (slack) => {
          slack.socketUrl = socket.url;
        },
        slackConfig: { appToken: APP_TOKEN, signingSecret: '' },
        config: { store: { redisUrl: redis2.url, namespace: `down-socket-${randomUUID()}` } },
      });
      await socket.connected();
    });
    afterAll(async () => {
      await s?.close();
      await socket?.close();
      await redis2?.dispose();
    });

    it('leaves an envelope unacknowledged while Redis is down, and takes its redelivery once it is back', async () => {
      const user = s.slackUser();
      const { body } = user.messageEnvelope('I need to talk to an agent');

      await redis2.stop();
      await eventually(async () => expect(await readiness(s.url)).toBe(503), 10_000, 100);
      const held = socket.deliver('events_api', body);
      await socket.roundTrip(); // the bridge has read the envelope (and decided) before Redis returns

      await redis2.start();
      await eventually(async () => expect(await readiness(s.url)).toBe(200), 20_000, 100);
      // Slack sends an unacknowledged envelope again, under a new envelope id.
      await socket.send('events_api', body, { retry_attempt: 1, retry_reason: 'timeout' });

      await user.waitForMessage(hasButton('lab_start_chat'), 10_000);
      expect(socket.acks.some((a) => a.envelope_id === held)).toBe(false);
      await s.bridge.broker.idle();
      expect(user.messages().filter(hasButton('lab_start_chat'))).toHaveLength(1);
    });
  });
});
