/**
 * Memory is bounded (issue 11 item 7): what a relayed message leaves behind for de-duplication
 * and delivery marks expires within 15 minutes; only the message's entry in its chat's log lives
 * longer, and that log goes with the chat's Recent window once the chat ends. Checked on both
 * engines by reading every key's remaining TTL from the engine itself (Redis `PTTL`, the memory
 * store's stored expiry) after real messages both ways through Teams and the console.
 */
import { randomUUID } from 'node:crypto';
import { isOffer, isWaiting, startBridgeHarness, type BridgeHarness } from '../helpers/bridge-harness';
import { eventually } from '../helpers/eventually';
import { describeWithRedis, redisUrl } from '../contract/store.redis-env';
import { dropNamespace, storeTtls } from '../helpers/store-ttls';

const FIFTEEN_MINUTES = 15 * 60 * 1000;
const RECENT_HOURS = 2;
const MESSAGES = 6;

/** Keys that outlive 15 minutes. */
function longLived(ttls: Map<string, number>): string[] {
  return [...ttls]
    .filter(([, ms]) => ms > FIFTEEN_MINUTES)
    .map(([k]) => k)
    .sort();
}

function scenario(engine: 'memory' | 'redis') {
  const namespace = `ttl-${randomUUID()}`;
  let h: BridgeHarness;
  const ttls = () => storeTtls(h.bridge.store, engine === 'redis' ? { url: redisUrl, namespace } : undefined);

  beforeAll(async () => {
    h = await startBridgeHarness({
      config: {
        store: engine === 'redis' ? { redisUrl, namespace } : { namespace },
        console: { recentChatsHours: RECENT_HOURS },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    if (engine === 'redis') await dropNamespace(redisUrl, namespace);
  });

  it(`${engine}: relayed messages leave nothing that outlives 15 minutes but their chat-log entries, and the log goes with the Recent window`, async () => {
    const ana = h.teamsUser({ userName: 'Ana' });
    await ana.say('My VPN drops every ten minutes since Monday');
    await ana.click(await ana.waitForCard(isOffer), 'startChat');
    await ana.waitForCard(isWaiting);
    const chatId = await eventually(async () => {
      const c = (await h.beth.chats()).find((x) => x.title.startsWith('My VPN'));
      if (!c) throw new Error('not queued');
      return c.id;
    });
    await h.beth.accept(chatId);
    await ana.waitForCard((c) => c.text.includes('Beth joined'));
    // One message each way first, so the chat's log exists before the count starts.
    await ana.say('warm-up from Ana');
    await eventually(async () => expect((await h.beth.messages(chatId)).map((m) => m.text)).toContain('warm-up from Ana'));
    await h.beth.post(chatId, 'warm-up from Beth');
    await ana.waitForText('**Beth:** warm-up from Beth');
    await h.bridge.broker.idle();
    const before = await ttls();

    for (let i = 1; i <= MESSAGES; i++) {
      await ana.say(`user message ${i}`);
      await eventually(async () => expect((await h.beth.messages(chatId)).map((m) => m.text)).toContain(`user message ${i}`));
      await h.beth.post(chatId, `agent message ${i}`);
      await ana.waitForText(`**Beth:** agent message ${i}`);
    }
    await h.bridge.broker.idle();
    const after = await ttls();

    // Per message there are short-lived marks (de-duplication, idempotency)...
    const added = [...after.keys()].filter((k) => !before.has(k));
    expect(added.length).toBeGreaterThanOrEqual(MESSAGES);
    // ...and none of them, nor anything else, outlives 15 minutes: the long-lived keys are the
    // chat's and the user's own, the same set as before the messages.
    expect(longLived(after)).toEqual(longLived(before));
    expect(added.filter((k) => after.get(k)! > FIFTEEN_MINUTES)).toEqual([]);
    // The messages are in the chat's log, one list.
    const log = longLived(after).filter((k) => k.includes(chatId) && k.includes('messages'));
    expect(log).toHaveLength(1);

    // Ended: the chat and its log stay only as long as the console lists it under Recent.
    await ana.say('stop chat');
    await ana.waitForText(/You ended the chat/);
    await eventually(async () => expect((await h.beth.chat(chatId)).status).toBe('ended'));
    await h.bridge.broker.idle();
    const ended = await ttls();
    const recentMs = RECENT_HOURS * 3600 * 1000;
    const ofChat = [...ended].filter(([k]) => k.includes(chatId));
    expect(ofChat.length).toBeGreaterThanOrEqual(2);
    for (const [key, ms] of ofChat) expect({ key, withinRecent: ms <= recentMs }).toEqual({ key, withinRecent: true });
  }, 60_000);
}

describe('memory bounds: in memory', () => scenario('memory'));
describeWithRedis('memory bounds: on Redis', () => scenario('redis'));
