/**
 * A restart mid-chat on Redis loses nothing: a chat goes live, the bridge stops, a new bridge
 * starts on the same Redis, and the chat goes on both ways; a wait that was queued before the
 * restart still times out after it.
 */
import { randomUUID } from 'node:crypto';
import { ManualClock } from '../helpers/console-clock';
import { isOffer, isWaiting, startBridgeHarness, TeamsUser } from '../helpers/bridge-harness';
import { eventually } from '../helpers/eventually';
import { startFakeConnector, type FakeConnector } from '../helpers/fake-connector';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('restart on Redis', () => {
  let connector: FakeConnector;
  beforeAll(async () => {
    connector = await startFakeConnector();
  });
  afterAll(() => connector.close());

  it('continues a live chat in both directions, and re-arms queue timeouts, after a restart', async () => {
    const namespace = `restart-${randomUUID()}`;
    const clock = new ManualClock(Date.now());
    const config = { store: { redisUrl: REDIS_URL, namespace } };

    // First process: Ana's chat goes live; Ben is still waiting when it stops.
    const first = await startBridgeHarness({ config, clock, connector });
    const ana = first.teamsUser({ userName: 'Ana' });
    await ana.say('My mailbox is full and I cannot send mail');
    await ana.click(await ana.waitForCard(isOffer), 'startChat');
    await ana.waitForCard(isWaiting);
    const chatId = await eventually(async () => {
      const c = (await first.beth.chats()).find((x) => x.title.startsWith('My mailbox'));
      if (!c) throw new Error('not queued');
      return c.id;
    });
    await first.beth.accept(chatId);
    await ana.waitForCard((c) => c.text.includes('Beth joined'));
    await first.beth.post(chatId, 'before the restart');
    await ana.waitForText('**Beth:** before the restart');

    const ben = first.teamsUser({ userName: 'Ben' });
    await ben.say('Teams calls drop after a minute');
    await ben.click(await ben.waitForCard(isOffer), 'startChat');
    await ben.waitForCard(isWaiting);
    await first.bridge.broker.idle();
    await first.close();

    // Second process on the same Redis: nothing was lost.
    const second = await startBridgeHarness({ config, clock, connector });
    try {
      const ana2 = new TeamsUser(second.url, connector, ana.chat);
      const ben2 = new TeamsUser(second.url, connector, ben.chat);
      expect((await second.beth.chat(chatId)).status).toBe('live');

      await second.beth.post(chatId, 'after the restart');
      await ana2.waitForText('**Beth:** after the restart');
      await ana2.say('still here after the restart');
      await eventually(async () =>
        expect((await second.beth.messages(chatId)).map((m) => m.text)).toContain('still here after the restart'),
      );

      // Ben's wait started before the restart; its timeout was re-armed by the new process.
      clock.advance(121_000);
      await ben2.waitForText(/No agent could take your chat/);

      // And Ana can end the chat through the new process.
      await ana2.say('stop chat');
      await ana2.waitForText(/You ended the chat/);
      await eventually(async () => expect((await second.beth.chat(chatId)).status).toBe('ended'));
      const texts = (await second.beth.messages(chatId)).map((m) => m.text);
      expect(texts.filter((t) => t === 'still here after the restart')).toHaveLength(1);
    } finally {
      await second.close();
    }
  });
});
