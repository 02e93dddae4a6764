/**
 * Amazon Connect chats across two "processes" on one Redis: each has its own Store connection,
 * connector and ChatStreamOwner (as composeDesks builds them). Chats are opened on both; one
 * process is then killed as SIGKILL would (its timers stop, its sockets are cut, its leases are
 * not released) while the agents keep writing. The survivor takes the chats over (a new
 * CreateParticipantConnection from the stored ParticipantToken, then GetTranscript from the
 * cursor the dead owner persisted): every agent message reaches the core once, in order.
 */
import { randomUUID } from 'node:crypto';
import { createStore } from '../../adapters/store';
import { storeSettingsSchema } from '../../adapters/store/config';
import { streamKeys } from '../../bots/core/chat-streams';
import { systemClock } from '../../bots/core/clock';
import type { DeskEvent, Store } from '../../bots/core/ports';
import { chatRequest } from '../contract/desk.contract';
import { describeWithRedis, redisUrl } from '../contract/store.redis-env';
import { connectProcess, contactOf } from '../helpers/amazon-connect-harness';
import { eventually } from '../helpers/eventually';
import { KillableClock } from '../helpers/killable-clock';
import { AmazonConnectSimulator } from '../simulators/amazon-connect/simulator';

jest.setTimeout(90_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithRedis('Amazon Connect chats survive the death of the process that owned their sockets', () => {
  const namespace = `connect-takeover-${randomUUID()}`;
  const stores: Store[] = [];
  const procs: ReturnType<typeof connectProcess>[] = [];
  let sim: AmazonConnectSimulator;
  /** What reached the core, by process, in order. */
  const seen: { by: string; event: DeskEvent }[] = [];

  async function bridgeProcess(name: string) {
    const store = await createStore(storeSettingsSchema.parse({ redisUrl, namespace }));
    stores.push(store);
    const clock = new KillableClock(systemClock);
    const proc = connectProcess(sim, store, { owner: { owner: name, clock } });
    procs.push(proc);
    await proc.owner.start(async (event) => {
      seen.push({ by: name, event });
    });
    return { name, store, clock, ...proc };
  }

  beforeAll(async () => {
    sim = await AmazonConnectSimulator.start();
  });

  afterAll(async () => {
    for (const p of procs) await p.owner.stop().catch(() => undefined);
    const cleanup = await createStore(storeSettingsSchema.parse({ redisUrl, namespace }));
    for (const key of await cleanup.keys('')) await cleanup.delete(key);
    await cleanup.close();
    await Promise.all(stores.map((s) => s.close()));
    await sim.close();
  });

  it('takes the dead owner\u2019s chats over from their cursors: every agent message once, in order', async () => {
    const a = await bridgeProcess('A');
    const b = await bridgeProcess('B');
    const chats: { sessionId: string; contactId: string; by: typeof a }[] = [];
    for (let i = 0; i < 4; i++) {
      const by = i % 2 === 0 ? a : b;
      const sessionId = `ct-${i}-${randomUUID()}`;
      await by.owner.openChat(chatRequest(sessionId));
      const contactId = contactOf(sim, sessionId).initialContactId;
      chats.push({ sessionId, contactId, by });
    }
    for (const c of chats) {
      await eventually(() => expect(sim.hub.open(c.contactId).some((s) => s.subscribed)).toBe(true));
      sim.agent.join(c.contactId, 'Beth Anglin');
    }

    const sent = new Map<string, string[]>(chats.map((c) => [c.sessionId, []]));
    let writing = true;
    const writer = (async () => {
      for (let n = 1; writing; n++) {
        for (const c of chats) {
          const text = `agent message ${n}`;
          sim.agent.say(c.contactId, text);
          sent.get(c.sessionId)!.push(text);
        }
        await sleep(100);
      }
    })();
    /** Agent messages as the broker keeps them: de-duplicated by messageId, in arrival order. */
    const relayed = (sessionId: string) => {
      const ids = new Set<string>();
      const out: { by: string; text: string }[] = [];
      for (const { by, event } of seen) {
        if (event.sessionId !== sessionId || event.type !== 'agentMessage' || ids.has(event.messageId)) continue;
        ids.add(event.messageId);
        out.push({ by, text: event.text });
      }
      return out;
    };
    await eventually(() => {
      for (const c of chats) expect(relayed(c.sessionId).length).toBeGreaterThanOrEqual(3);
    }, 10_000);

    // SIGKILL of A: no timer fires again and its sockets are cut; its leases stay until they run out.
    a.clock.kill();
    const orphaned = chats.filter((c) => c.by === a);
    for (const c of orphaned) sim.dropSockets(c.contactId, true);

    await eventually(
      async () => {
        expect(b.owner.owned.sort()).toEqual(chats.map((c) => c.sessionId).sort());
        for (const c of orphaned)
          expect(await b.store.leaseHolder(streamKeys.lease('amazon-connect', c.sessionId))).toMatchObject({ owner: 'B' });
      },
      20_000,
      200,
    );
    await sleep(500); // the survivor relays live messages too
    writing = false;
    await writer;

    await eventually(
      () => {
        for (const c of chats) expect(relayed(c.sessionId).map((r) => r.text)).toEqual(sent.get(c.sessionId));
      },
      15_000,
      100,
    );
    for (const c of orphaned) {
      const by = relayed(c.sessionId).map((r) => r.by);
      expect(by[0]).toBe('A');
      expect(by.at(-1)).toBe('B');
      // At most the one event whose cursor the dead owner had not yet written comes twice (the broker drops it).
      const raw = seen.filter((s) => s.event.sessionId === c.sessionId && s.event.type === 'agentMessage').length;
      expect(raw - relayed(c.sessionId).length).toBeLessThanOrEqual(1);
    }
    // Each chat's join reached the core once: the survivor resumed after it, not from the start.
    for (const c of chats) {
      const joins = seen.filter((s) => s.event.sessionId === c.sessionId && s.event.type === 'agentJoined').length;
      expect(joins).toBe(1);
    }
  });
});
