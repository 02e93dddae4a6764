/**
 * Live views with two bridge processes on one Redis (two bridges in this test process, each with
 * a Store of its own on one namespace, as two processes have): the console's chat index and
 * queue, its event stream, the agents-online count the `availability` policy uses, a chat two
 * processes accept at once, and the web chat's push. Requests go alternately to both.
 */
import { randomUUID } from 'node:crypto';
import { createStore } from '../../adapters/store';
import { storeSettingsSchema } from '../../adapters/store/config';
import { QUEUE_KEY } from '../../adapters/desks/console/chat-repo';
import type { BridgeConfigInput } from '../../config/schema';
import { describeWithRedis, redisUrl } from '../contract/store.redis-env';
import { startBridgeHarness, type BridgeHarness } from '../helpers/bridge-harness';
import type { ConsoleAgentClient, ConsoleEventReader, WireSummary } from '../helpers/console-agent';
import { eventually } from '../helpers/eventually';
import { hasButton, WebChatUser } from '../helpers/web-user';

const CHATS = 20;

describeWithRedis('live views across two processes on one Redis', () => {
  let namespace: string;
  let a: BridgeHarness;
  let b: BridgeHarness;
  const users: WebChatUser[] = [];
  const readers: ConsoleEventReader[] = [];

  beforeEach(async () => {
    namespace = `views-${randomUUID()}`;
    const config: BridgeConfigInput = {
      store: { redisUrl, namespace },
      // No cached answer: each offer asks the desk how many agents are online.
      bot: { offer: { policy: 'availability', availabilityCacheSeconds: 0 } },
    };
    a = await startBridgeHarness({ config });
    b = await startBridgeHarness({ config });
  });

  afterEach(async () => {
    for (const u of users.splice(0)) await u.close();
    for (const r of readers.splice(0)) await r.close();
    await a.close();
    await b.close();
    const cleanup = await createStore(storeSettingsSchema.parse({ redisUrl, namespace }));
    for (const key of await cleanup.keys('')) await cleanup.delete(key);
    await cleanup.close();
  });

  const stream = async (agent: ConsoleAgentClient) => {
    const reader = await agent.events();
    readers.push(reader);
    return reader;
  };
  const online = async (h: BridgeHarness) => (await h.bridge.desk.checkAvailability()).agentsOnline;

  /** A web user signs in on `h`, asks, and starts a chat there: it is queued through `h`. */
  async function queueThrough(h: BridgeHarness, title: string): Promise<WebChatUser> {
    const user = await WebChatUser.start(h.url);
    users.push(user);
    await user.say(title);
    await user.click(await user.waitForCard(hasButton('startChat'), 10_000), 'startChat');
    await user.waitForCard(hasButton('cancel'), 10_000);
    return user;
  }

  async function chatId(title: string): Promise<string> {
    return eventually(async () => {
      const found = (await a.beth.chats()).find((c) => c.title === title);
      if (!found) throw new Error(`${title} not listed`);
      return found.id;
    });
  }

  it(`${CHATS} chats queued alternately through both: every agent, on either process, lists and streams each once`, async () => {
    const bethOnB = await stream(b.beth);
    const carlOnA = await stream(a.carl);
    // The count is the same whichever process answers.
    await eventually(async () => {
      expect(await online(a)).toBe(2);
      expect(await online(b)).toBe(2);
    });

    const titles = Array.from({ length: CHATS }, (_, i) => `Chat number ${i}`);
    await Promise.all(titles.map((title, i) => queueThrough(i % 2 === 0 ? a : b, title)));

    const expected = [...titles].sort();
    const queuedTitles = (list: WireSummary[]) =>
      list
        .filter((c) => c.status === 'queued')
        .map((c) => c.title)
        .sort();
    // The waiting card may come before the desk has listed the chat: wait for all of them.
    for (const agent of [a.beth, a.carl, b.beth, b.carl]) {
      await eventually(async () => expect(queuedTitles(await agent.chats())).toEqual(expected), 10_000);
    }
    // The queue itself: each chat once, whichever process reads it.
    const ids = (await a.beth.chats()).map((c) => c.id).sort();
    for (const h of [a, b]) expect([...((await h.bridge.store.get<string[]>(QUEUE_KEY)) ?? [])].sort()).toEqual(ids);

    // Each agent's stream had every chat's creation, once, whichever process queued it.
    const created = (reader: ConsoleEventReader) =>
      reader.events
        .filter((e) => e.event === 'chat.created')
        .map((e) => (e.data as { chat: WireSummary }).chat.title)
        .sort();
    for (const reader of [bethOnB, carlOnA]) await eventually(() => expect(created(reader)).toEqual(expected));
  });

  it('shows the Start button to a user on A while the only agent online is connected to B, and stops when she leaves', async () => {
    const bethOnB = await stream(b.beth);
    await eventually(async () => {
      expect(await online(a)).toBe(1);
      expect(await online(b)).toBe(1);
    });
    const user = await WebChatUser.start(a.url);
    users.push(user);
    await user.say('My VPN drops every hour');
    await user.waitForCard(hasButton('startChat'));

    await bethOnB.close();
    await eventually(async () => {
      expect(await online(a)).toBe(0);
      expect(await online(b)).toBe(0);
    });
  });

  it('two agents on two processes accepting one queued chat at once: one takes it from the queue, the other joins it, each once', async () => {
    await stream(b.carl); // someone online, or the policy offers no chat
    const titles = ['Race one', 'Race two', 'Race three', 'Race four'];
    const who = await Promise.all(titles.map((t) => queueThrough(a, t)));
    const ids = await Promise.all(titles.map(chatId));
    // Two agents at once on two processes; and one agent whose double click reached both.
    await Promise.all([
      ...ids.slice(0, 2).flatMap((id) => [a.beth.accept(id), b.carl.accept(id)]),
      ...ids.slice(2).flatMap((id) => [a.beth.accept(id), b.beth.accept(id)]),
    ]);
    await Promise.all([a.bridge.broker.idle(), b.bridge.broker.idle()]);

    const joinLines = async (id: string) =>
      (await a.beth.messages(id))
        .filter((m) => m.from === 'system' && /joined the chat/.test(m.text))
        .map((m) => m.text)
        .sort();
    for (const [i, id] of ids.entries()) {
      const chat = await b.carl.chat(id);
      expect(chat.status).toBe('live');
      const agents = i < 2 ? ['beth', 'carl'] : ['beth'];
      expect(chat.agents.map((x: { id: string }) => x.id).sort()).toEqual(agents);
      expect(await joinLines(id)).toEqual(i < 2 ? ['Beth joined the chat', 'Carl joined the chat'] : ['Beth joined the chat']);
      // The user is told of each agent once.
      await eventually(async () => {
        const told = (await who[i].history()).entries.filter((e) => /joined the chat/.test(e.cardText ?? e.text ?? '')).length;
        expect(told).toBe(agents.length);
      });
    }
    expect((await a.bridge.store.get<string[]>(QUEUE_KEY)) ?? []).toEqual([]);
  });

  it('a web user connected to A gets, on her stream, what an agent on B sends (delivered by B)', async () => {
    await stream(b.beth);
    const user = await queueThrough(a, 'Printer on floor 3 is jammed');
    const id = await chatId('Printer on floor 3 is jammed');
    await b.beth.accept(id);
    await b.beth.post(id, 'On my way with a new tray');
    await user.waitForText('On my way with a new tray');
  });
});
