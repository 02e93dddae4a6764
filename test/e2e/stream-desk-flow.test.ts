/**
 * The stream test desk through the bridge's composition root, on Redis: a Teams user queues a
 * chat, the agent's events reach them over the chat's own WebSocket, which the bridge opened
 * under its `ChatStreamOwner`. Stopping the bridge (a rolling restart) closes the connection and
 * releases its lease before the store closes; a bridge started next on the same Redis takes the
 * chat over at once and resumes from the cursor: the agent's next message arrives once.
 */
import { randomUUID } from 'node:crypto';
import { createStore } from '../../adapters/store';
import { storeSettingsSchema } from '../../adapters/store/config';
import type { BridgeOptions } from '../../bots/app';
import { ChatStreamOwner } from '../../bots/core/chat-stream-owner';
import { streamKeys } from '../../bots/core/chat-streams';
import type { Store } from '../../bots/core/ports';
import { describeWithRedis, redisUrl } from '../contract/store.redis-env';
import { StreamTestDesk } from '../desks/stream-test-desk/desk';
import { startStreamTestServer } from '../desks/stream-test-desk/harness';
import type { StreamTestServer } from '../desks/stream-test-desk/server';
import { isDetails, isOffer, isWaiting, startBridgeHarness, type BridgeHarness } from '../helpers/bridge-harness';
import { eventually } from '../helpers/eventually';
import { startFakeConnector, type FakeConnector } from '../helpers/fake-connector';

describeWithRedis('a stream desk in the bridge', () => {
  const namespace = `stream-flow-${randomUUID()}`;
  let server: StreamTestServer;
  let connector: FakeConnector;
  let observer: Store;
  const bridges: BridgeHarness[] = [];

  const desk: BridgeOptions['desk'] = (deps) => ({
    desk: new StreamTestDesk({ url: server.url, store: deps.store }),
    mount: () => undefined,
    banner: () => [],
  });
  const start = async () => {
    const h = await startBridgeHarness({ connector, desk, config: { store: { redisUrl, namespace } } });
    bridges.push(h);
    return h;
  };

  beforeAll(async () => {
    server = await startStreamTestServer();
    connector = await startFakeConnector();
    observer = await createStore(storeSettingsSchema.parse({ redisUrl, namespace }));
  });

  afterAll(async () => {
    for (const h of bridges) await h.close().catch(() => undefined);
    for (const key of await observer.keys('')) await observer.delete(key);
    await observer.close();
    await connector.close();
    await server.close();
  });

  it('streams the chat to the user, hands it over on a restart, and resumes from its cursor', async () => {
    const first = await start();
    expect(first.bridge.desk).toBeInstanceOf(ChatStreamOwner);
    const user = first.teamsUser();
    await user.say('I need to talk to an agent');
    await user.click(await user.waitForCard(isOffer), 'startChat');
    await user.click(await user.waitForCard(isDetails), 'submitDetails', { description: 'VPN drops every hour' });
    await user.waitForCard(isWaiting);
    const sessionId = await eventually(() => {
      const [id] = server.sessionIds();
      expect(id).toBeDefined();
      return id;
    });
    expect(server.chat(sessionId).title).toBe('VPN drops every hour');

    server.accept(sessionId);
    await user.waitForText(/Ada Agent/);
    server.say(sessionId, 'Hi, which VPN client do you use?');
    await user.waitForText('Hi, which VPN client do you use?');
    expect(server.streamsOf(sessionId)).toBe(1);

    // A rolling restart: the old bridge lets the chat go before its store closes.
    await first.close();
    expect(server.streamsOf(sessionId)).toBe(0);
    expect(await observer.leaseHolder(streamKeys.lease('stream-test', sessionId))).toBeUndefined();

    server.say(sessionId, 'Are you still there?'); // while no process holds the chat
    const opensBefore = server.streamOpens.length;
    await start();
    await user.waitForText('Are you still there?', 10_000);
    expect(server.streamOpens.slice(opensBefore)).toEqual([{ sessionId, after: expect.any(Number) }]);
    expect(server.streamOpens.at(-1)!.after).toBeGreaterThan(0);
    // Nothing the first bridge delivered came again.
    expect(user.texts().filter((t) => t.includes('Hi, which VPN client do you use?'))).toHaveLength(1);
    expect(user.texts().filter((t) => t.includes('Are you still there?'))).toHaveLength(1);
  });
});
