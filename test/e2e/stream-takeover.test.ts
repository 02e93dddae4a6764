/**
 * Stream desk chats across two "processes" on one Redis: each has a Store of its own (one Redis
 * connection each, one namespace), its own broker, stream test desk connector and
 * `ChatStreamOwner`, and a surface that records what users see. Five chats are opened across
 * both, each streaming over its own WebSocket from the stream test server. One process is then
 * killed as SIGKILL would: its timers stop and its sockets are cut, its leases are not released.
 * While the agents keep writing, the survivor takes its chats over (within 15 s; waited for up
 * to 20 s) and resumes each from the cursor the dead owner persisted; every agent message
 * reaches its user exactly once, in order.
 */
import { randomUUID } from 'node:crypto';
import { createStore } from '../../adapters/store';
import { storeSettingsSchema } from '../../adapters/store/config';
import { Broker, keys } from '../../bots/core/broker';
import { streamKeys } from '../../bots/core/chat-streams';
import { systemClock } from '../../bots/core/clock';
import { FileVault } from '../../bots/core/file-vault';
import type { Address, OutboundContent, Store, Surface } from '../../bots/core/ports';
import { coreSettingsSchema } from '../../bots/core/settings';
import { describeWithRedis, redisUrl } from '../contract/store.redis-env';
import { chatRequest } from '../contract/desk.contract';
import { conversation, user } from '../helpers/core-builders';
import { RecordingLogger } from '../helpers/core-fakes';
import { eventually } from '../helpers/eventually';
import { KillableClock } from '../helpers/killable-clock';
import { startStreamTestServer, streamTestProcess } from '../desks/stream-test-desk/harness';
import type { StreamTestServer } from '../desks/stream-test-desk/server';

jest.setTimeout(90_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const DAY = 24 * 60 * 60 * 1000;

describeWithRedis('stream desk chats survive the death of the process that owned them', () => {
  const namespace = `stream-takeover-${randomUUID()}`;
  const stores: Store[] = [];
  const brokers: Broker[] = [];
  let server: StreamTestServer;
  /** What users saw, across both processes, in the order it was sent. */
  const seen: { by: string; conversationId: string; text: string }[] = [];

  async function openStore(): Promise<Store> {
    const store = await createStore(storeSettingsSchema.parse({ redisUrl, namespace }));
    stores.push(store);
    return store;
  }

  function surface(by: string): Surface {
    let n = 0;
    const text = (c: OutboundContent) => (c.kind === 'text' ? c.text : c.view.type === 'agentMessage' ? c.view.text : c.view.type);
    return {
      kind: 'teams',
      send: async (address: Address, content: OutboundContent) => {
        seen.push({ by, conversationId: String(address.conversationId), text: text(content) });
        return { id: `${by}-${++n}` };
      },
      update: async () => undefined,
    };
  }

  async function bridgeProcess(name: string) {
    const store = await openStore();
    const clock = new KillableClock(systemClock);
    const logger = new RecordingLogger();
    const { connector, owner } = streamTestProcess(server, store, { owner: name, clock, logger });
    const broker = new Broker({
      store,
      desk: owner,
      surfaces: { teams: surface(name) },
      clock,
      logger,
      settings: coreSettingsSchema.parse({}),
      files: new FileVault(store, { ttlMs: DAY, baseUrl: () => 'http://127.0.0.1:9', now: () => Date.now() }),
    });
    brokers.push(broker);
    await broker.start();
    return { name, store, clock, connector, owner, broker };
  }

  /** A user queued for an agent, as the broker stores them once the chat was requested. */
  async function queuedUser(store: Store, i: number): Promise<string> {
    const u = user({ id: `user-${i}` });
    const sessionId = `st-${i}-${randomUUID()}`;
    const conv = conversation(
      {
        session: {
          phase: 'queued',
          sessionId,
          request: { title: 'VPN is down', details: 'VPN is down' },
          waiting: { view: { type: 'waiting', sessionId, title: 'VPN is down' } },
          queuedNoticeSent: true,
          deadline: Date.now() + DAY,
          startedAt: Date.now(),
        },
      },
      u,
    );
    await store.set(keys.conversation(conv.key), conv, DAY);
    await store.set(keys.session(sessionId), conv.key, DAY);
    return sessionId;
  }

  beforeAll(async () => {
    server = await startStreamTestServer();
  });

  afterAll(async () => {
    for (const broker of brokers) await broker.stop().catch(() => undefined);
    const cleanup = await openStore();
    for (const key of await cleanup.keys('')) await cleanup.delete(key);
    await Promise.all(stores.map((s) => s.close()));
    await server.close();
  });

  it('takes over the dead owner\u2019s chats from their cursors: every agent message arrives once, in order', async () => {
    const a = await bridgeProcess('A');
    const b = await bridgeProcess('B');
    // Five chats, opened across both processes: each opener owns its chat's connection.
    const chats: { sessionId: string; conversationId: string; by: typeof a }[] = [];
    for (let i = 0; i < 5; i++) {
      const by = i % 2 === 0 ? a : b;
      const sessionId = await queuedUser(by.store, i);
      await by.owner.openChat(chatRequest(sessionId));
      chats.push({ sessionId, conversationId: `teams-conv-user-${i}`, by });
    }
    expect(a.owner.owned.sort()).toEqual(
      chats
        .filter((c) => c.by === a)
        .map((c) => c.sessionId)
        .sort(),
    );
    expect(b.owner.owned.sort()).toEqual(
      chats
        .filter((c) => c.by === b)
        .map((c) => c.sessionId)
        .sort(),
    );
    for (const c of chats) server.accept(c.sessionId);

    // The agents write in every chat, all along.
    const sent = new Map<string, string[]>(chats.map((c) => [c.sessionId, []]));
    let writing = true;
    const writer = (async () => {
      for (let n = 1; writing; n++) {
        for (const c of chats) {
          const text = `agent message ${n}`;
          server.say(c.sessionId, text);
          sent.get(c.sessionId)!.push(text);
        }
        await sleep(100);
      }
    })();
    const agentTexts = (conversationId: string) =>
      seen.filter((s) => s.conversationId === conversationId && s.text.startsWith('agent message ')).map((s) => s.text);
    // A's users get messages through A before it dies.
    await eventually(() => {
      for (const c of chats) expect(agentTexts(c.conversationId).length).toBeGreaterThanOrEqual(3);
    }, 10_000);

    // SIGKILL of A: no timer fires again, its sockets are cut, its leases stay where they are.
    a.clock.kill();
    a.connector.crash();
    const orphaned = chats.filter((c) => c.by === a).map((c) => c.sessionId);
    const opensBefore = server.streamOpens.length;

    await eventually(
      async () => {
        expect(b.owner.owned.sort()).toEqual(chats.map((c) => c.sessionId).sort());
        for (const id of orphaned) expect(await b.store.leaseHolder(streamKeys.lease('stream-test', id))).toMatchObject({ owner: 'B' });
      },
      20_000,
      200,
    );
    // Resumed from the persisted cursors, not replayed from the start.
    const resumes = server.streamOpens.slice(opensBefore).filter((o) => orphaned.includes(o.sessionId));
    expect(resumes.map((o) => o.sessionId).sort()).toEqual([...orphaned].sort());
    for (const r of resumes) expect(r.after).toBeGreaterThan(0);

    await sleep(500); // the survivor relays live messages too
    writing = false;
    await writer;

    await eventually(
      () => {
        for (const c of chats) expect(agentTexts(c.conversationId)).toEqual(sent.get(c.sessionId));
      },
      15_000,
      100,
    );
    // The orphans' users were served by A, then by B.
    for (const c of chats.filter((x) => x.by === a)) {
      const by = seen.filter((s) => s.conversationId === c.conversationId && s.text.startsWith('agent message ')).map((s) => s.by);
      expect(by[0]).toBe('A');
      expect(by.at(-1)).toBe('B');
    }
    // Each user was told once that the agent joined.
    for (const c of chats) expect(seen.filter((s) => s.conversationId === c.conversationId && /joined/i.test(s.text))).toHaveLength(1);
  });
});
