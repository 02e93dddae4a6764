/**
 * Two Brokers on two Store instances over one Redis: two processes of one bridge. One user's
 * events, whichever broker takes them, are applied one at a time in arrival order, each effect
 * once; a queue timeout fired by both is applied once; an event acknowledged by a broker that
 * then dies is applied by the other, once, and its redelivery is dropped as a duplicate.
 */
import { randomUUID } from 'node:crypto';
import { createStore } from '../../../adapters/store';
import { storeSettingsSchema } from '../../../adapters/store/config';
import { Broker, keys } from '../../../bots/core/broker';
import type { UserContext } from '../../../bots/core/events';
import { isBridgeError } from '../../../bots/core/errors';
import { FileVault } from '../../../bots/core/file-vault';
import type { Store } from '../../../bots/core/ports';
import type { CoreSettings } from '../../../bots/core/settings';
import { describeWithRedis, redisUrl } from '../../contract/store.redis-env';
import { agents, de, settings, ue, user } from '../../helpers/core-builders';
import { FakeClock, FakeDesk, FakeSurface, RecordingLogger } from '../../helpers/core-fakes';
import { eventually } from '../../helpers/eventually';

const M = settings().messages;
const RECOVER_MS = 1000;

interface Node {
  broker: Broker;
  clock: FakeClock;
  store: Store;
}

/** A store that stops answering (every call pending forever) from the first `op` call on: a process killed there. */
function killedAt(store: Store, op: keyof Store): Store {
  let dead = false;
  const hang = new Promise<never>(() => undefined);
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (prop === op) dead = true;
        return dead && prop !== 'close' ? hang : (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

describe('a store that cannot be reached', () => {
  it('makes accept fail with a retryable 503, so the platform sends the event again rather than it being lost', async () => {
    const store = await createStore(storeSettingsSchema.parse({ namespace: `down-${randomUUID().slice(0, 8)}` }));
    const clock = new FakeClock();
    const files = new FileVault(store, { ttlMs: 60_000, baseUrl: () => 'https://bridge.example', now: () => clock.now() });
    const broker = new Broker({
      store,
      desk: new FakeDesk(),
      surfaces: { teams: new FakeSurface('teams') },
      clock,
      logger: new RecordingLogger(),
      settings: settings(),
      files,
    });
    await broker.start();
    await store.close();
    const err = await broker.accept(ue.message('hello')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isBridgeError(err, 'store_unavailable')).toBe(true);
    expect(err).toMatchObject({ status: 503, retryable: true });
  });
});

describeWithRedis('two brokers on one Redis', () => {
  let namespace: string;
  const opened: Store[] = [];
  const brokers: Broker[] = [];
  const killed = new Set<Broker>();
  // One desk and one surface for both processes, so their calls land in one global order.
  let desk: FakeDesk;
  let teams: FakeSurface;
  let s: CoreSettings;

  beforeEach(() => {
    namespace = `bridge-cluster-${randomUUID().slice(0, 8)}`;
    desk = new FakeDesk();
    teams = new FakeSurface('teams');
    s = settings();
  });

  afterEach(async () => {
    // A killed broker's work never ends: only the live ones are stopped.
    for (const b of brokers.splice(0)) if (!killed.has(b)) await b.stop().catch(() => undefined);
    killed.clear();
    for (const store of opened.splice(0)) await store.close();
  });

  async function node(o: { wrap?: (store: Store) => Store; leaseMs?: number; start?: boolean } = {}): Promise<Node> {
    const raw = await createStore(storeSettingsSchema.parse({ redisUrl, namespace }));
    opened.push(raw);
    const store = o.wrap ? o.wrap(raw) : raw;
    const clock = new FakeClock();
    const files = new FileVault(store, { ttlMs: 60_000, baseUrl: () => 'https://bridge.example', now: () => clock.now() });
    const broker = new Broker({
      store,
      desk,
      surfaces: { teams },
      clock,
      logger: new RecordingLogger(),
      settings: s,
      files,
      ownerLeaseMs: o.leaseMs ?? 60_000,
      recoverEveryMs: RECOVER_MS,
    });
    brokers.push(broker);
    if (o.start !== false) await broker.start();
    return { broker, clock, store };
  }

  async function idle(...nodes: Node[]) {
    for (let i = 0; i < 3; i++) for (const n of nodes) await n.broker.idle();
  }

  /** A live chat opened through `a`; its session id. */
  async function live(a: Node, u: UserContext): Promise<string> {
    await a.broker.accept(ue.message('My VPN drops', { user: u }));
    await a.broker.idle();
    const offer = teams.lastCard('offer')!;
    await a.broker.accept(ue.startChat(offer.view.offerId, { user: u, source: offer.ref }));
    await a.broker.idle();
    const sid = desk.opens.at(-1)!.sessionId;
    await a.broker.onDeskEvent(de.joined(sid, agents.beth));
    return sid;
  }

  it('one user’s messages sent alternately to both are applied in arrival order, each once, both ways', async () => {
    const a = await node();
    const b = await node();
    const u = user({ id: 'alternating' });
    const sid = await live(a, u);
    // Slow, uneven desk and surface calls: two processes applying one user's events at once would reorder them.
    let n = 0;
    desk.onSend = () => new Promise((r) => setTimeout(r, (n++ * 7) % 13));
    teams.onSend = () => new Promise((r) => setTimeout(r, (n++ * 5) % 11));
    const toAgent = Array.from({ length: 30 }, (_, i) => `u${i}`);
    const toUser = Array.from({ length: 30 }, (_, i) => `a${i}`);
    // Both directions at once; in each, an event arrives once the one before was taken.
    await Promise.all([
      (async () => {
        for (const [i, text] of toAgent.entries())
          expect(await (i % 2 ? b : a).broker.accept(ue.message(text, { user: u }))).toBe('accepted');
      })(),
      (async () => {
        // Each report resolves once its message reached the user, whichever process applied it.
        for (const [i, text] of toUser.entries()) await (i % 3 ? a : b).broker.onDeskEvent(de.message(sid, text, agents.beth, `am-${i}`));
      })(),
    ]);
    await idle(a, b);
    expect(desk.sent.map((m) => m.message.text)).toEqual(toAgent);
    const agentTexts = teams.texts().filter((t) => /^a\d+$/.test(t));
    expect(agentTexts).toEqual(toUser);
  });

  it('a desk report to the broker not applying it still learns that the user could not be reached', async () => {
    const a = await node();
    const b = await node();
    const u = user({ id: 'unreachable' });
    const sid = await live(a, u);
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    let sending = false;
    teams.onSend = (c) => {
      if (c.kind !== 'text' || c.text !== 'first') return undefined;
      sending = true;
      return slow;
    };
    teams.failSend = (c) => c.kind === 'text' && c.text === 'second';
    const first = a.broker.onDeskEvent(de.message(sid, 'first', agents.beth, 'f-1'));
    // a holds the user's lease while it sends 'first'; b's report is applied by a and told over pub/sub.
    await eventually(() => expect(sending).toBe(true));
    const second = b.broker.onDeskEvent(de.message(sid, 'second', agents.beth, 's-1')).then(
      () => undefined,
      (e: unknown) => e,
    );
    setTimeout(release, 100);
    const err = await second;
    await expect(first).resolves.toBeUndefined();
    expect(isBridgeError(err, 'surface_send_failed')).toBe(true);
  });

  it('a queue timeout fired by both processes is applied once', async () => {
    const a = await node();
    const u = user({ id: 'waiting' });
    await a.broker.accept(ue.message('My VPN drops', { user: u }));
    await a.broker.idle();
    const offer = teams.lastCard('offer')!;
    await a.broker.accept(ue.startChat(offer.view.offerId, { user: u, source: offer.ref }));
    await a.broker.idle();
    // b starts after the chat was queued: it arms the same deadline from the store.
    const b = await node();
    const ms = s.queueTimeoutSeconds * 1000 + 1;
    a.clock.advance(ms);
    b.clock.advance(ms);
    await eventually(async () => {
      await idle(a, b);
      expect(teams.texts().filter((t) => t === M.queueTimeout)).toHaveLength(1);
    });
    await idle(a, b);
    expect(desk.ended).toHaveLength(1);
    expect(teams.texts().filter((t) => t === M.queueTimeout)).toHaveLength(1);
  });

  it('an event acknowledged by a process that dies is applied once by the other; its redelivery is a duplicate', async () => {
    // a acknowledges (the append and its lease land), then dies as it starts applying.
    const a = await node({ leaseMs: 300, start: false, wrap: (store) => killedAt(store, 'list') });
    killed.add(a.broker);
    const b = await node();
    const u = user({ id: 'survivor' });
    const sid = await live(b, u);
    desk.sent.length = 0;

    const event = ue.message('acknowledged before the crash', { user: u });
    expect(await a.broker.accept(event)).toBe('accepted');
    // a's lease runs out (Redis's clock); b's sweep finds the inbox nobody holds.
    await eventually(
      async () => {
        b.clock.advance(RECOVER_MS);
        await b.broker.idle();
        expect(desk.sent.map((m) => m.message.text)).toEqual(['acknowledged before the crash']);
      },
      10_000,
      100,
    );
    // The platform redelivers it (a never answered... or answered and the answer was lost).
    expect(await b.broker.accept(event)).toBe('duplicate');
    await b.broker.idle();
    expect(desk.sent.map((m) => m.message.text)).toEqual(['acknowledged before the crash']);
    expect(await b.store.list(keys.inbox(`teams:${u.profile.id}`))).toEqual([]);
    void sid;
  });
});
