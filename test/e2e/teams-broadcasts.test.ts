/**
 * Broadcasts over the wire: POST /api/broadcasts, delivery to Teams users through the fake
 * connector, buttons disabled for a user in an agent chat and restored when it ends, progress
 * per recipient, pacing, restart on Redis.
 */
import { randomUUID } from 'node:crypto';
import { isOffer, startBridgeHarness, type TeamsUser, type BridgeHarness, type SentCard } from '../helpers/bridge-harness';
import { eventually } from '../helpers/eventually';
import { startFakeConnector, type ConnectorRequest } from '../helpers/fake-connector';

const TOKEN = 'broadcast-token-0123456789';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const isBroadcast = (title: string) => (c: SentCard) => c.text.startsWith(title);

const message = (title: string) => ({
  title,
  text: 'The VPN will be down on Saturday from 02:00 to 04:00.',
  facts: [{ title: 'Systems', value: 'VPN, remote desktop' }],
  actions: [
    { title: 'Read more', url: 'https://intranet.example/maintenance' },
    { title: 'Got it', data: { ack: true } },
  ],
});

async function post(h: BridgeHarness, body: unknown, token: string | null = TOKEN) {
  const res = await fetch(`${h.url}/api/broadcasts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function status(h: BridgeHarness, id: string) {
  const res = await fetch(`${h.url}/api/broadcasts/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: res.status, body: (await res.json()) as any };
}

async function waitDone(h: BridgeHarness, id: string, timeoutMs = 10_000) {
  return eventually(async () => {
    const s = await status(h, id);
    if (s.body.status !== 'done') throw new Error(`still ${s.body.status}: ${JSON.stringify(s.body.counts)}`);
    return s.body;
  }, timeoutMs);
}

/** A user the bot knows: they said something, so a conversation reference is stored. */
async function knownUser(h: BridgeHarness, name: string): Promise<TeamsUser> {
  const user = h.teamsUser({ userName: name });
  await user.say('hello');
  await user.waitForText(/connect you with a live agent/);
  // The user's inbox is gone once their event is settled, a moment after its reply went out.
  await h.bridge.broker.idle();
  return user;
}

describe('broadcasts to Teams users', () => {
  let h: BridgeHarness;
  beforeEach(async () => {
    h = await startBridgeHarness({ config: { broadcasts: { token: TOKEN, minIntervalPerUserMs: 0 } } });
  });
  afterEach(() => h.close());

  it('refuses a missing or wrong token, and a malformed broadcast, sending nothing', async () => {
    const ana = await knownUser(h, 'Ana');
    const before = h.connector.requests.length;
    expect((await post(h, { recipients: 'all', message: message('x') }, null)).status).toBe(401);
    expect((await post(h, { recipients: 'all', message: message('x') }, 'wrong-token-wrong-token!')).status).toBe(401);
    const bad = await post(h, {
      recipients: [{ surface: 'fax', user: ana.id }],
      message: { title: '', text: 'x', actions: [{ title: 'go' }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/recipients\.0\.surface/);
    expect(bad.body.error.message).toMatch(/message\.title/);
    expect((await post(h, '{ not json')).status).toBe(400);
    const unknown = await status(h, 'b_no-such-broadcast');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    await new Promise((r) => setTimeout(r, 100));
    expect(h.connector.requests.length).toBe(before);
  });

  it('refuses action data nested too deep or too large with 400, leaving nothing in the store', async () => {
    const ana = await knownUser(h, 'Ana');
    const before = (await h.bridge.store.keys('')).sort();
    const nest = (levels: number) => {
      let data: unknown = true;
      for (let i = 0; i < levels; i++) data = { a: data };
      return data;
    };
    const withData = (data: unknown) => ({
      recipients: [{ surface: 'teams', user: ana.id }],
      message: { ...message('Deep'), actions: [{ title: 'Got it', data }] },
    });
    // Deeper than any body may be (this one answered 500 and left its recipients behind).
    const deepData = `${'{"a":'.repeat(5000)}true${'}'.repeat(5000)}`;
    const deep = await post(h, JSON.stringify(withData('DEEP')).replace('"DEEP"', deepData));
    expect(deep.status).toBe(400);
    expect(deep.body.error.message).toBe('The request body is nested more than 64 levels deep.');
    // Within the body's bound, past the field's.
    const field = await post(h, withData(nest(20)));
    expect(field.status).toBe(400);
    expect(field.body.error.message).toMatch(/message\.actions\.0\.data: must not be nested more than 16 levels deep/);
    const big = await post(h, withData({ note: 'x'.repeat(9000) }));
    expect(big.status).toBe(400);
    expect(big.body.error.message).toMatch(/message\.actions\.0\.data: must not be larger than 8 KB as JSON/);
    expect((await h.bridge.store.keys('')).sort()).toEqual(before);
    expect(await h.bridge.store.keys('brecipients:')).toEqual([]);
    expect(await h.bridge.store.keys('broadcast:')).toEqual([]);
    // Data within the bounds is taken.
    expect((await post(h, withData(nest(16)))).status).toBe(202);
  });

  it('delivers to an idle user with buttons; to a user in an agent chat without them, restored when the chat ends', async () => {
    const ana = await knownUser(h, 'Ana');
    const ben = await knownUser(h, 'Ben');

    // Ben is chatting with Beth.
    await ben.say('My badge does not open the door');
    await ben.click(await ben.waitForCard(isOffer), 'startChat');
    const chatId = await eventually(async () => {
      const c = (await h.beth.chats()).find((x) => x.title.startsWith('My badge'));
      if (!c) throw new Error('not queued');
      return c.id;
    });
    await h.beth.accept(chatId);
    await ben.waitForCard((c) => c.text.includes('Beth joined'));

    const created = await post(h, {
      recipients: [
        { surface: 'teams', user: ana.id },
        { surface: 'teams', user: ben.id },
        { surface: 'teams', user: 'nobody-we-know' },
      ],
      message: message('Planned maintenance'),
    });
    expect(created.status).toBe(202);
    expect(created.body).toEqual({ id: expect.any(String), recipients: 3 });

    const forAna = await ana.waitForCard(isBroadcast('Planned maintenance'));
    expect(forAna.actions.map((a) => a.title)).toEqual(['Read more', 'Got it']);
    expect(forAna.content.version).toBe('1.5');

    const forBen = await ben.waitForCard(isBroadcast('Planned maintenance'));
    expect(forBen.actions).toHaveLength(0);
    expect(forBen.text).toMatch(/Buttons are disabled while you are chatting with an agent/);

    const done = await waitDone(h, created.body.id);
    expect(done.counts).toMatchObject({ delivered: 1, delivered_buttons_disabled: 1, unknown_user: 1, failed: 0, pending: 0 });
    expect(done.recipients.find((r: any) => r.user === 'nobody-we-know').outcome).toBe('unknown_user');

    // The agent never sees it.
    expect((await h.beth.messages(chatId)).map((m) => m.text).join('\n')).not.toMatch(/maintenance/i);

    // When Ben's chat ends, the broadcast gets its buttons back, in place.
    await ben.say('stop chat');
    const restored = await ben.waitForUpdate(forBen.activityId, (c) => c.actions.length === 2);
    expect(restored.text).not.toMatch(/Buttons are disabled/);
  });

  it('sends to everyone the bot knows with "all", and records an answer', async () => {
    const users = await Promise.all(['Ana', 'Ben', 'Cy'].map((n) => knownUser(h, n)));
    const created = await post(h, { recipients: 'all', message: message('To all') });
    expect(created.body.recipients).toBe(3);
    const cards = await Promise.all(users.map((u) => u.waitForCard(isBroadcast('To all'))));
    await users[0].click(cards[0], 'broadcastAction');
    const answered = await users[0].waitForUpdate(cards[0].activityId);
    expect(answered.text).toMatch(/You answered: Got it/);
    await eventually(async () => {
      const s = (await status(h, created.body.id)).body;
      expect(s.recipients.find((r: any) => r.user === users[0].id).answer).toBe('Got it');
    });
  });

  it('paces delivery under the configured rate', async () => {
    await h.close();
    h = await startBridgeHarness({ config: { broadcasts: { token: TOKEN, ratePerSecond: { teams: 20 }, minIntervalPerUserMs: 0 } } });
    const users = await Promise.all(Array.from({ length: 45 }, (_, i) => knownUser(h, `User ${i}`)));
    const created = await post(h, { recipients: 'all', message: message('Paced') });
    await waitDone(h, created.body.id, 15_000);
    const sends = h.connector.requests.filter((r) => r.method === 'POST' && JSON.stringify(r.body).includes('Paced')).map((r) => r.at);
    expect(sends).toHaveLength(users.length);
    for (const t of sends) expect(sends.filter((x) => x >= t && x < t + 1000).length).toBeLessThanOrEqual(20);
  });
});

describe('broadcasts across a restart on Redis', () => {
  it('resumes an unfinished broadcast and sends nobody the same message twice', async () => {
    const connector = await startFakeConnector();
    const namespace = `bcast-${randomUUID()}`;
    const config = {
      store: { redisUrl: REDIS_URL, namespace },
      broadcasts: { token: TOKEN, ratePerSecond: { teams: 10 }, minIntervalPerUserMs: 0 },
    };
    const first = await startBridgeHarness({ config, connector });
    const users: TeamsUser[] = [];
    for (let i = 0; i < 30; i++) users.push(await knownUser(first, `User ${i}`));
    const created = await post(first, { recipients: 'all', message: message('Survives restarts') });
    expect(created.body.recipients).toBe(30);
    await new Promise((r) => setTimeout(r, 1200)); // about a third goes out
    await first.close();

    const sentBy = (r: ConnectorRequest) => r.method === 'POST' && JSON.stringify(r.body).includes('Survives restarts');
    const beforeRestart = connector.requests.filter(sentBy).length;
    expect(beforeRestart).toBeGreaterThan(0);
    expect(beforeRestart).toBeLessThan(30);

    // The first process released the broadcast's lease when it stopped: the new one resumes at once.
    const second = await startBridgeHarness({ config, connector });
    try {
      const done = await waitDone(second, created.body.id, 20_000);
      const sent = connector.requests.filter(sentBy);
      const perConversation = new Map<string, number>();
      for (const r of sent) perConversation.set(r.conversationId!, (perConversation.get(r.conversationId!) ?? 0) + 1);
      expect([...perConversation.values()].every((n) => n === 1)).toBe(true);
      expect(done.counts.pending).toBe(0);
      expect(done.counts.delivered + done.counts.failed).toBe(30);
      expect(done.counts.delivered).toBe(sent.length);
    } finally {
      await second.close();
      await connector.close();
    }
  });
});
