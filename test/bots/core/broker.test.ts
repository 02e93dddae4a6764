/**
 * The Broker against in-memory ports: a Map store, a fake desk, fake surfaces and a manual clock.
 */
import { FileVault } from '../../../bots/core/file-vault';
import { Broker, keys } from '../../../bots/core/broker';
import type { UserContext } from '../../../bots/core/events';
import { isBridgeError } from '../../../bots/core/errors';
import type { OpenChatRequest } from '../../../bots/core/ports';
import type { Conversation } from '../../../bots/core/session';
import type { CoreSettings } from '../../../bots/core/settings';
import { agents, de, settings, ue, user } from '../../helpers/core-builders';
import { deferred, FakeClock, FakeDesk, FakeSurface, RecordingLogger, tick, within } from '../../helpers/core-fakes';
import { RecordingStore } from '../../helpers/recording-store';

const M = settings().messages;
const DAY = 24 * 60 * 60 * 1000;

async function harness(o: { settings?: CoreSettings; store?: RecordingStore; clock?: FakeClock; desk?: FakeDesk; start?: boolean } = {}) {
  const clock = o.clock ?? new FakeClock();
  const store = o.store ?? new RecordingStore(() => clock.now());
  const desk = o.desk ?? new FakeDesk();
  const teams = new FakeSurface('teams');
  const slack = new FakeSurface('slack');
  const logger = new RecordingLogger();
  let n = 0;
  const s = o.settings ?? settings();
  const files = new FileVault(store, { ttlMs: 60_000, baseUrl: () => 'https://bridge.example', now: () => clock.now() });
  // A user's lease outlives every jump of the manual clock (the store's time is that clock too).
  const broker = new Broker({
    store,
    desk,
    surfaces: { teams, slack },
    clock,
    logger,
    settings: s,
    files,
    newId: () => `id-${++n}`,
    ownerLeaseMs: 7 * DAY,
  });
  if (o.start !== false) await broker.start();

  const h = {
    files,
    clock,
    store,
    desk,
    teams,
    slack,
    logger,
    broker,
    settings: s,
    surfaceOf: (u: UserContext) => (u.surface === 'slack' ? slack : teams),
    /** Accept a user event and wait until the broker is idle. */
    async send(event: Parameters<Broker['accept']>[0]) {
      const r = await broker.accept(event);
      await broker.idle();
      return r;
    },
    conv(u: UserContext = user()): Promise<Conversation | undefined> {
      return store.peek<Conversation>(keys.conversation(`${u.surface}:${u.profile.id}`));
    },
    /** Describe a problem, press Start on the offer: the chat gets queued. Returns the session id. */
    async queue(u: UserContext = user(), problem = 'My VPN drops every 5 minutes'): Promise<string> {
      await h.send(ue.message(problem, { user: u }));
      const offer = h.surfaceOf(u).lastCard('offer')!;
      await h.send(ue.startChat(offer.view.offerId, { user: u, source: offer.ref }));
      const sid = ((await h.conv(u))?.session as any)?.sessionId;
      if (!sid) throw new Error('not queued');
      return sid;
    },
    async live(u: UserContext = user()): Promise<string> {
      const sid = await h.queue(u);
      await desk.emit(de.joined(sid, agents.beth));
      return sid;
    },
  };
  return h;
}

// =============================================================================== full flow

describe('full flow', () => {
  it('request → offer → Start → details → submit → desk opened → waiting → join → both ways → stop → back to the bot', async () => {
    const h = await harness({ settings: settings({ routing: { domain: 'it' } }) });
    const u = user();

    expect(await h.send(ue.message('I need to talk to an agent'))).toBe('accepted');
    const offer = h.teams.lastCard('offer')!;
    expect(offer.view).toMatchObject({ type: 'offer', showButton: true, message: M.offer });
    expect(offer.address).toEqual(u.address);

    await h.send(ue.startChat(offer.view.offerId, { source: offer.ref }));
    const details = h.teams.lastCard('details')!;
    expect(details.view).toMatchObject({ type: 'details', topicRequired: false });
    // the offer card's buttons are disabled by updating that message
    expect(h.teams.updates.find((x) => JSON.stringify(x.ref) === JSON.stringify(offer.ref))?.content).toMatchObject({
      kind: 'card',
      view: { type: 'offer', showButton: false },
    });

    await h.send(ue.submitDetails(details.view.offerId, 'Cannot log in to SAP since this morning'));
    expect(h.desk.opens).toHaveLength(1);
    const req: OpenChatRequest = h.desk.opens[0];
    expect(req).toMatchObject({
      surface: 'teams',
      title: 'Cannot log in to SAP since this morning',
      details: 'Cannot log in to SAP since this morning',
      user: { id: 'u1', name: 'Ada Lovelace' },
      routing: { language: 'en', region: 'US', domain: 'it' },
    });
    expect(req.history.map((x) => [x.from, x.text])).toEqual([
      ['user', 'I need to talk to an agent'],
      ['bot', M.offer],
    ]);
    const waiting = h.teams.lastCard('waiting')!;
    expect(waiting.view).toMatchObject({ type: 'waiting', sessionId: req.sessionId });
    expect(h.teams.updates.some((x) => JSON.stringify(x.ref) === JSON.stringify(details.ref))).toBe(true);
    expect(await h.store.peek(keys.session(req.sessionId))).toBe('teams:u1');

    await h.desk.emit(de.joined(req.sessionId, agents.beth));
    expect(h.teams.texts()).toContain('Beth joined the chat.');
    expect(h.teams.updates.some((x) => JSON.stringify(x.ref) === JSON.stringify(waiting.ref))).toBe(true);

    await h.send(ue.message('hello?'));
    expect(h.desk.sent.map((x) => [x.sessionId, x.message.text])).toEqual([[req.sessionId, 'hello?']]);

    await h.desk.emit(de.message(req.sessionId, 'Hi Ada, Beth here.'));
    const last = h.teams.sends[h.teams.sends.length - 1].content;
    expect(last).toMatchObject({ kind: 'text', text: 'Hi Ada, Beth here.', from: { name: 'Beth' } });

    await h.send(ue.typing());
    expect(h.desk.typings).toEqual([req.sessionId]);

    await h.send(ue.message(' Stop Chat '));
    expect(h.desk.ended).toEqual([{ sessionId: req.sessionId, reason: 'user_stopped' }]);
    expect(h.teams.texts()).toContain(M.userEnded);
    expect(await h.store.peek(keys.session(req.sessionId))).toBeUndefined();

    const before = h.desk.sent.length;
    await h.send(ue.message('talk to an agent'));
    expect(h.desk.sent).toHaveLength(before);
    expect(h.teams.lastCard('offer')!.view.offerId).not.toBe(offer.view.offerId);
  });

  it('agent ends from the console → user told; next message goes back to the bot', async () => {
    const h = await harness();
    const sid = await h.live();
    await h.desk.emit(de.ended(sid, 'agent_ended'));
    expect(h.teams.texts()).toContain(M.agentEnded);
    await h.send(ue.message('are you still there?'));
    expect(h.desk.sent).toHaveLength(0);
    expect(h.teams.lastCard('offer')).toBeDefined();
  });

  it('queued: user not blocked — messages go to the desk, notice said once', async () => {
    const h = await harness();
    const sid = await h.queue();
    await h.send(ue.message('also my email is slow'));
    await h.send(ue.message('and teams'));
    expect(h.desk.sent.map((x) => [x.sessionId, x.message.text])).toEqual([
      [sid, 'also my email is slow'],
      [sid, 'and teams'],
    ]);
    expect(h.teams.texts().filter((t) => t === M.queuedNotice)).toHaveLength(1);
  });

  it('a second Start while queued says so and does not queue twice', async () => {
    const h = await harness();
    await h.queue();
    await h.send(ue.startChat('whatever'));
    expect(h.desk.opens).toHaveLength(1);
    expect(h.teams.texts()).toContain(M.alreadyOpen);
  });

  it('sessions are per surface: the same user id may have one open on Teams and one on Slack', async () => {
    const h = await harness();
    const t = user({ surface: 'teams', id: 'same' });
    const s = user({ surface: 'slack', id: 'same' });
    const a = await h.queue(t);
    const b = await h.queue(s);
    expect(a).not.toBe(b);
    expect(h.desk.opens.map((o) => o.surface)).toEqual(['teams', 'slack']);
  });

  it('several agents: each message attributed to its agent', async () => {
    const h = await harness();
    const sid = await h.live();
    await h.desk.emit(de.joined(sid, agents.sam));
    await h.desk.emit(de.message(sid, 'from beth', agents.beth, 'x1'));
    await h.desk.emit(de.message(sid, 'from sam', agents.sam, 'x2'));
    const agentSends = h.teams.sends.filter((s) => s.content.kind === 'text' && s.content.from);
    expect(agentSends.map((s) => [(s.content as any).from.name, (s.content as any).text])).toEqual([
      ['Beth', 'from beth'],
      ['Sam', 'from sam'],
    ]);
  });

  it('desk events for an unknown or ended session change nothing and resolve', async () => {
    const h = await harness();
    const sid = await h.live();
    await h.send(ue.message('stop chat'));
    const sends = h.teams.sends.length;
    await expect(h.desk.emit(de.message(sid, 'late'))).resolves.toBeUndefined();
    await expect(h.desk.emit(de.joined('never-existed'))).resolves.toBeUndefined();
    expect(h.teams.sends).toHaveLength(sends);
  });

  it('a user message the desk refuses → the user is told it was not delivered', async () => {
    const h = await harness();
    await h.live();
    h.desk.onSend = () => {
      throw new Error('409 chat closed');
    };
    await h.send(ue.message('hello?'));
    expect(h.teams.texts()).toContain(M.notDelivered);
  });
});

// =============================================================================== dedupe

describe('de-duplication', () => {
  it('the same user event (same dedupeKeys) twice → duplicate, processed once', async () => {
    const h = await harness();
    await h.live();
    const ev = ue.message('hello once', { dedupeKeys: ['teams:conv:act-1'] });
    expect(await h.broker.accept(ev)).toBe('accepted');
    expect(await h.broker.accept({ ...ev })).toBe('duplicate');
    await h.broker.idle();
    expect(h.desk.sent.map((x) => x.message.text)).toEqual(['hello once']);
  });

  it('any one seen key drops the event (Slack event_id vs channel+ts)', async () => {
    const h = await harness();
    await h.live();
    expect(await h.broker.accept(ue.message('a', { dedupeKeys: ['ev-1', 'C1:111.1'] }))).toBe('accepted');
    expect(await h.broker.accept(ue.message('a', { dedupeKeys: ['ev-2', 'C1:111.1'] }))).toBe('duplicate');
    await h.broker.idle();
    expect(h.desk.sent).toHaveLength(1);
  });

  it('the same desk messageId twice → delivered once', async () => {
    const h = await harness();
    const sid = await h.live();
    await h.desk.emit(de.message(sid, 'only once', agents.beth, 'desk-msg-1'));
    await h.desk.emit(de.message(sid, 'only once', agents.beth, 'desk-msg-1'));
    expect(h.teams.sends.filter((s) => s.content.kind === 'text' && s.content.text === 'only once')).toHaveLength(1);
  });
});

// =============================================================================== ordering and isolation

describe('ordering and isolation', () => {
  it('50 messages accepted back to back reach desk.sendMessage in order while a slow desk call is in flight', async () => {
    const h = await harness();
    await h.live();
    const gate = deferred();
    let first = true;
    h.desk.onSend = async () => {
      if (first) {
        first = false;
        await gate.promise;
      }
    };
    for (let i = 0; i < 50; i++) expect(await h.broker.accept(ue.message(`msg ${i}`))).toBe('accepted');
    await tick();
    expect(h.desk.sent).toHaveLength(0); // all behind the slow first call
    gate.resolve();
    await h.broker.idle();
    expect(h.desk.sent.map((x) => x.message.text)).toEqual(Array.from({ length: 50 }, (_, i) => `msg ${i}`));
  });

  it('BUG: concurrent accepts keep arrival order even when events carry different numbers of dedupe keys', async () => {
    const h = await harness();
    await h.live();
    // Teams/Slack requests arrive concurrently; a Slack message can carry 2 ids, a retry-safe Teams one 1.
    const p1 = h.broker.accept(ue.message('first', { dedupeKeys: ['ev-a', 'C1:1.1', 'extra-a'] }));
    const p2 = h.broker.accept(ue.message('second', { dedupeKeys: ['ev-b'] }));
    await Promise.all([p1, p2]);
    await h.broker.idle();
    expect(h.desk.sent.map((x) => x.message.text)).toEqual(['first', 'second']);
  });

  it('two users in parallel: a slow desk call for one does not hold up the other, and nothing crosses', async () => {
    const h = await harness();
    const ua = user({ id: 'alice', name: 'Alice' });
    const ub = user({ id: 'bob', name: 'Bob' });
    const sa = await h.live(ua);
    const sb = await h.live(ub);
    const gate = deferred();
    h.desk.onSend = async (sid) => {
      if (sid === sa) await gate.promise;
    };
    await h.broker.accept(ue.message('from alice', { user: ua }));
    await h.broker.accept(ue.message('from bob', { user: ub }));
    for (let i = 0; i < 10 && h.desk.sent.length === 0; i++) await tick();
    expect(h.desk.sent.map((x) => [x.sessionId, x.message.text])).toEqual([[sb, 'from bob']]);
    await h.desk.emit(de.message(sb, 'hi bob', agents.sam, 'b-1'));
    gate.resolve();
    await h.broker.idle();
    expect(h.desk.sent.map((x) => [x.sessionId, x.message.text])).toEqual([
      [sb, 'from bob'],
      [sa, 'from alice'],
    ]);
    const bobSaw = h.teams.sends.filter((s) => JSON.stringify(s.address) === JSON.stringify(ub.address));
    const aliceSaw = h.teams.sends.filter((s) => JSON.stringify(s.address) === JSON.stringify(ua.address));
    expect(bobSaw.some((s) => s.content.kind === 'text' && s.content.text === 'hi bob')).toBe(true);
    expect(aliceSaw.some((s) => s.content.kind === 'text' && s.content.text === 'hi bob')).toBe(false);
  });
});

// =============================================================================== stored state

describe('stored state', () => {
  it('a conversation is stored without what its store key says (key, surface, profile id), and read back whole', async () => {
    const h = await harness();
    const u = user();
    const sid = await h.queue(u);
    const stored = await h.store.peek<Record<string, any>>(keys.conversation(`teams:${u.profile.id}`));
    expect(stored).toBeDefined();
    expect(stored).not.toHaveProperty('key');
    expect(stored).not.toHaveProperty('surface');
    expect(stored).not.toHaveProperty('history'); // empty once it went to the desk
    expect(stored!.profile).toEqual({ name: u.profile.name, locale: u.profile.locale, timeZone: u.profile.timeZone });
    // The desk got the whole profile.
    expect(h.desk.opens[0].user).toEqual(u.profile);
    // The session index and the broker's own reads still find the user.
    expect(await h.store.peek(keys.session(sid))).toBe(`teams:${u.profile.id}`);
    await expect(h.broker.chatState('teams', u.profile.id)).resolves.toMatchObject({ phase: 'queued' });
    await h.desk.emit(de.joined(sid, agents.beth));
    await h.send(ue.message('still flickering'));
    expect(h.desk.sent.map((m) => m.message.text)).toEqual(['still flickering']);
  });

  it('reads a conversation stored whole by an earlier version', async () => {
    const h = await harness();
    const u = user();
    const sid = await h.queue(u);
    const key = keys.conversation(`teams:${u.profile.id}`);
    const stored = (await h.store.peek<Record<string, any>>(key))!;
    await h.store.set(
      key,
      { key: `teams:${u.profile.id}`, surface: 'teams', ...stored, profile: { id: u.profile.id, ...stored.profile }, history: [] },
      60_000,
    );
    await h.desk.emit(de.joined(sid, agents.beth));
    await h.send(ue.message('hello again'));
    expect(h.desk.sent.map((m) => m.message.text)).toEqual(['hello again']);
    await expect(h.broker.chatState('teams', u.profile.id)).resolves.toMatchObject({ phase: 'live' });
  });
});

// =============================================================================== timeouts and restart

describe('queue timeout', () => {
  it('a deadline for a session that ended meanwhile does nothing', async () => {
    const h = await harness();
    const sid = await h.queue();
    // The session ends without the broker hearing of it (its index entry is gone), the timer stays.
    await h.store.delete(keys.session(sid));
    h.clock.advance(120_000);
    await h.broker.idle();
    expect(h.desk.ended).toEqual([]);
    expect(h.teams.texts()).not.toContain(M.queueTimeout);
  });

  it('fires via the clock: desk told (queue_timeout), user told, session gone', async () => {
    const h = await harness();
    const sid = await h.queue();
    h.clock.advance(119_999);
    await h.broker.idle();
    expect(h.desk.ended).toEqual([]);
    h.clock.advance(1);
    await h.broker.idle();
    expect(h.desk.ended).toEqual([{ sessionId: sid, reason: 'queue_timeout' }]);
    expect(h.teams.texts()).toContain(M.queueTimeout);
    expect((await h.conv())?.session).toBeUndefined();
    expect(await h.store.peek(keys.session(sid))).toBeUndefined();
    // a late accept is ignored
    await h.desk.emit(de.joined(sid));
    expect(h.teams.texts()).not.toContain('Beth joined the chat.');
  });

  it('configurable timeout and message', async () => {
    const h = await harness({ settings: settings({ queueTimeoutSeconds: 30, messages: { queueTimeout: 'Nobody free, sorry.' } }) });
    await h.queue();
    h.clock.advance(30_000);
    await h.broker.idle();
    expect(h.teams.texts()).toContain('Nobody free, sorry.');
  });

  it('an accept before the deadline cancels the timer', async () => {
    const h = await harness();
    await h.live();
    h.clock.advance(200_000);
    await h.broker.idle();
    expect(h.desk.ended).toEqual([]);
    expect(h.teams.texts()).not.toContain(M.queueTimeout);
  });

  it('restart: a second Broker on the same store re-arms the timeout of a queued session on start()', async () => {
    const clock = new FakeClock();
    const store = new RecordingStore(() => clock.now());
    const h1 = await harness({ clock, store });
    const sid = await h1.queue();
    await h1.broker.stop();
    clock.advance(60_000);

    const desk2 = new FakeDesk();
    const h2 = await harness({ clock, store, desk: desk2 });
    clock.advance(59_999);
    await h2.broker.idle();
    expect(desk2.ended).toEqual([]);
    clock.advance(1);
    await h2.broker.idle();
    expect(desk2.ended).toEqual([{ sessionId: sid, reason: 'queue_timeout' }]);
    expect(h2.teams.texts()).toContain(M.queueTimeout);
  });

  it('DESIGN BUG: a desk whose openChat never answers still ends the wait at the queue timeout', async () => {
    const h = await harness();
    h.desk.onOpen = () => new Promise<void>(() => undefined); // hangs forever
    await h.send(ue.message('My VPN drops'));
    const offer = h.teams.lastCard('offer')!;
    await h.broker.accept(ue.startChat(offer.view.offerId));
    for (let i = 0; i < 20; i++) await tick();
    expect(h.desk.opens).toHaveLength(1);
    h.clock.advance(120_000);
    for (let i = 0; i < 20; i++) await tick();
    // spec 5 / "never silence": the user hears back, and the desk is told
    expect(h.teams.texts()).toContain(M.queueTimeout);
  });
});

// =============================================================================== desk behaviour

describe('desk quirks and failures', () => {
  it('a desk that reports events synchronously from inside openChat does not deadlock', async () => {
    const h = await harness();
    h.desk.onOpen = async (req) => {
      await h.desk.emit(de.queued(req.sessionId, 60));
      await h.desk.emit(de.joined(req.sessionId, agents.beth));
    };
    await within(h.queue(), 2000, 'queueing');
    await within(h.broker.idle(), 2000, 'idle');
    expect((await h.conv())?.session?.phase).toBe('live');
    expect(h.teams.texts()).toContain('Beth joined the chat.');
  });

  it('openChat failure → user told (deskError), session gone, no timer left behind', async () => {
    const h = await harness();
    h.desk.onOpen = () => {
      throw new Error('503 desk down');
    };
    await h.send(ue.message('My VPN drops'));
    const offer = h.teams.lastCard('offer')!;
    await h.send(ue.startChat(offer.view.offerId, { source: offer.ref }));
    expect(h.teams.texts()).toContain(M.deskError);
    expect((await h.conv())?.session).toBeUndefined();
    expect(await h.store.keys('session:')).toEqual([]);
    h.clock.advance(300_000);
    await h.broker.idle();
    expect(h.desk.ended).toEqual([]);
    expect(h.teams.texts().filter((t) => t === M.queueTimeout)).toHaveLength(0);
    // and the user can start again
    await h.send(ue.message('talk to an agent'));
    expect(h.teams.lastCard('offer')!.view.offerId).not.toBe(offer.view.offerId);
  });

  it('a surface failure sending an agent message makes onDeskEvent reject', async () => {
    const h = await harness();
    const sid = await h.live();
    h.teams.failSend = (c) => c.kind === 'text' && !!c.from;
    const err = await h.desk.emit(de.message(sid, 'did you get this?', agents.beth, 'am-1')).then(
      () => undefined,
      (e) => e,
    );
    expect(isBridgeError(err, 'surface_send_failed')).toBe(true);
  });

  it("BUG: after a rejected agent message, the desk's retry (same messageId) is delivered — not silently dropped", async () => {
    const h = await harness();
    const sid = await h.live();
    h.teams.failSend = () => true;
    await expect(h.desk.emit(de.message(sid, 'important', agents.beth, 'am-2'))).rejects.toBeDefined();
    h.teams.failSend = undefined;
    // the desk retries the same message, as a desk told "failed" would
    await h.desk.emit(de.message(sid, 'important', agents.beth, 'am-2')).catch(() => undefined);
    expect(h.teams.sends.some((s) => s.content.kind === 'text' && s.content.text === 'important')).toBe(true);
  });

  it('a desk that waits on its own report from inside sendMessage or endChat does not deadlock', async () => {
    const h = await harness();
    const sid = await h.live();
    h.desk.onSend = async (sessionId) => {
      await h.desk.emit(de.message(sessionId, 'auto-reply from the desk', agents.beth, 'auto-1'));
    };
    await within(h.send(ue.message('are you there?')), 2000, 'relaying a user message');
    expect(h.desk.sent.map((m) => m.message.text)).toEqual(['are you there?']);
    expect(h.teams.texts()).toContain('auto-reply from the desk');

    h.desk.onEnd = async (sessionId) => {
      await h.desk.emit(de.system(sessionId, 'Chat closed on the desk'));
    };
    await within(h.send(ue.message('stop chat')), 2000, 'stopping');
    expect(h.desk.ended).toEqual([{ sessionId: sid, reason: 'user_stopped' }]);
  });

  it("a desk event that arrives while the user's job is busy elsewhere (not in a desk call) is waited for and reports failures", async () => {
    const h = await harness();
    const sid = await h.live();
    // The first agent message's send to the user is slow: its job holds the user's queue.
    const slow = deferred();
    h.teams.onSend = (c) => (c.kind === 'text' && c.text === 'first' ? slow.promise : undefined);
    const first = h.desk.emit(de.message(sid, 'first', agents.beth, 'a-1'));
    for (let i = 0; i < 10; i++) await tick();
    h.teams.failSend = (c) => c.kind === 'text' && c.text === 'second';
    let secondSettled = false;
    const second = h.desk.emit(de.message(sid, 'second', agents.beth, 'a-2')).finally(() => {
      secondSettled = true;
    });
    second.catch(() => undefined);
    for (let i = 0; i < 10; i++) await tick();
    expect(secondSettled).toBe(false); // queued behind the first, and waited for
    slow.resolve();
    await expect(first).resolves.toBeUndefined();
    const err = await second.then(
      () => undefined,
      (e) => e,
    );
    expect(isBridgeError(err, 'surface_send_failed')).toBe(true);
  });

  it("an agent message from elsewhere while the user's job waits on a desk call is still waited for, and reports a failure", async () => {
    const h = await harness();
    const sid = await h.live();
    // The user's message is slow to reach the desk: the user's job is inside desk.sendMessage.
    const slowDesk = deferred();
    h.desk.onSend = (_s, m) => (m.text === 'slow one' ? slowDesk.promise : undefined);
    void h.broker.accept(ue.message('slow one'));
    for (let i = 0; i < 10; i++) await tick();
    // Meanwhile an agent message arrives through another path (a webhook), and cannot be delivered.
    h.teams.failSend = (c) => c.kind === 'text' && c.text === 'from the webhook';
    let settled = false;
    const report = h.desk.emit(de.message(sid, 'from the webhook', agents.beth, 'w-1')).finally(() => {
      settled = true;
    });
    report.catch(() => undefined);
    for (let i = 0; i < 10; i++) await tick();
    expect(settled).toBe(false); // not answered before it was tried
    slowDesk.resolve();
    const err = await report.then(
      () => undefined,
      (e) => e,
    );
    expect(isBridgeError(err, 'surface_send_failed')).toBe(true);
  });

  it('BUG: a desk event emitted later from async work started inside openChat still reports delivery failures', async () => {
    // A stream desk (SSE/WebSocket) often opens its connection inside openChat; the callbacks of
    // that connection run later, in the async context created there.
    const h = await harness();
    const release = deferred();
    let later: Promise<void> | undefined;
    h.desk.onOpen = (req) => {
      later = release.promise.then(() => h.desk.emit(de.message(req.sessionId, 'hello from the stream', agents.beth, 'st-1')));
    };
    await h.queue();
    await h.broker.idle();
    h.teams.failSend = (c) => c.kind === 'text' && !!c.from;
    release.resolve();
    await expect(later).rejects.toBeDefined();
  });
});

// =============================================================================== availability policy

describe('availability policy', () => {
  const avail = (o: Record<string, unknown> = {}) => settings({ offer: { policy: 'availability', ...o } });

  it('desk says nobody is available → button hidden, reason and fallback shown', async () => {
    const h = await harness({ settings: avail({ fallback: { label: 'File a ticket', url: 'https://it.example.com/ticket' } }) });
    h.desk.availability = { available: false };
    await h.send(ue.message('talk to an agent'));
    expect(h.teams.lastCard('offer')!.view).toMatchObject({
      showButton: false,
      hiddenReason: expect.any(String),
      fallback: { label: 'File a ticket', url: 'https://it.example.com/ticket' },
    });
  });

  it('hidden button → one coherent message: never "I can connect you" above "No agents are available"', async () => {
    const h = await harness({ settings: avail({ availabilityCacheSeconds: 0 }) });
    h.desk.availability = { available: false };
    await h.send(ue.message('talk to an agent'));
    await h.send(ue.message('My VPN drops every 5 minutes', { user: user({ id: 'u2' }) }));
    for (const card of h.teams.cards().filter((c) => c.view.type === 'offer')) {
      expect(card.view).toMatchObject({ showButton: false, message: M.offerUnavailable, hiddenReason: M.noAgentsAvailable });
      expect((card.view as { message: string }).message).not.toContain(M.offer);
    }
    h.desk.availability = { available: true };
    await h.send(ue.message('talk to an agent', { user: user({ id: 'u3' }) }));
    expect(h.teams.lastCard('offer')!.view).toMatchObject({ showButton: true, message: M.offer });
  });

  it('hidden button → the history the agent may get later says what the user read', async () => {
    const h = await harness({ settings: avail({ availabilityCacheSeconds: 0 }) });
    h.desk.availability = { available: false };
    await h.send(ue.message('talk to an agent'));
    expect((await h.conv())!.history.map((e) => e.text)).toEqual(['talk to an agent', `${M.offerUnavailable} ${M.noAgentsAvailable}`]);
    expect((await h.conv())!.offer?.view.message).toBe(M.offerUnavailable);
    // Agents come back: the next offer is the usual one, and Start queues with all of it.
    h.desk.availability = { available: true };
    await h.send(ue.message('agent'));
    const offer = h.teams.lastCard('offer')!;
    await h.send(ue.startChat(offer.view.offerId, { source: offer.ref }));
    await h.send(ue.submitDetails(offer.view.offerId, 'VPN is down'));
    expect(h.desk.opens[0].history.map((e) => e.text)).toEqual([
      'talk to an agent',
      `${M.offerUnavailable} ${M.noAgentsAvailable}`,
      'agent',
      M.offer,
    ]);
  });

  it('the no-agents reason is configured wording', async () => {
    const h = await harness({
      settings: settings({ offer: { policy: 'availability' }, messages: { noAgentsAvailable: 'Everyone is busy.' } }),
    });
    h.desk.availability = { available: false };
    await h.send(ue.message('talk to an agent'));
    expect(h.teams.lastCard('offer')!.view).toMatchObject({ hiddenReason: 'Everyone is busy.' });
  });

  it.each([
    ['show', true],
    ['hide', false],
  ] as const)('checkAvailability throws → availabilityOnError=%s applies', async (onError, shown) => {
    const h = await harness({ settings: avail({ availabilityOnError: onError }) });
    h.desk.availability = async () => {
      throw new Error('desk down');
    };
    await h.send(ue.message('talk to an agent'));
    expect(h.teams.lastCard('offer')!.view.showButton).toBe(shown);
  });

  it('is cached: two offers within the cache window → one desk call; after it → another', async () => {
    const h = await harness({ settings: avail({ availabilityCacheSeconds: 15 }) });
    await h.send(ue.message('talk to an agent', { user: user({ id: 'a' }) }));
    h.clock.advance(10_000);
    await h.send(ue.message('talk to an agent', { user: user({ id: 'b' }) }));
    expect(h.desk.availabilityCalls).toBe(1);
    h.clock.advance(6_000);
    await h.send(ue.message('talk to an agent', { user: user({ id: 'c' }) }));
    expect(h.desk.availabilityCalls).toBe(2);
  });

  it('BUG: a concurrent burst of offers asks the desk once', async () => {
    const h = await harness({ settings: avail({ availabilityCacheSeconds: 15 }) });
    const gate = deferred<{ available: boolean }>();
    h.desk.availability = () => gate.promise;
    for (const id of ['a', 'b', 'c', 'd']) await h.broker.accept(ue.message('talk to an agent', { user: user({ id }) }));
    for (let i = 0; i < 20; i++) await tick();
    gate.resolve({ available: true });
    await h.broker.idle();
    expect(h.teams.cards().filter((c) => c.view.type === 'offer')).toHaveLength(4);
    expect(h.desk.availabilityCalls).toBe(1);
  });

  it('hours policy hides the button with the schedule text', async () => {
    const h = await harness({
      settings: settings({
        offer: {
          policy: 'hours',
          hours: { timeZone: 'America/Los_Angeles', weekly: { sat: [{ start: '08:00', end: '17:00' }] } },
        },
      }),
    });
    await h.send(ue.message('talk to an agent')); // Wed in the fake clock
    expect(h.teams.lastCard('offer')!.view).toMatchObject({ showButton: false, hiddenReason: 'Agents are available Sat 08:00–17:00 PT.' });
  });
});

// =============================================================================== shutdown

describe('stop()', () => {
  it('drains in-flight work, then refuses new events and stops the desk', async () => {
    const h = await harness();
    await h.live();
    const gate = deferred();
    h.desk.onSend = () => gate.promise;
    await h.broker.accept(ue.message('in flight'));
    await h.broker.accept(ue.message('queued behind'));
    let stopped = false;
    const stopping = h.broker.stop().then(() => (stopped = true));
    for (let i = 0; i < 10; i++) await tick();
    expect(stopped).toBe(false);
    await expect(h.broker.accept(ue.message('too late'))).rejects.toMatchObject({ code: 'surface_unavailable' });
    gate.resolve();
    await stopping;
    expect(h.desk.sent.map((x) => x.message.text)).toEqual(['in flight', 'queued behind']);
    expect(h.desk.stopped).toBe(1);
    expect(h.clock.pending).toBe(0);
  });
});

// =============================================================================== files

describe('files', () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);

  it('a user file is downloaded with the surface, kept in the vault, and reaches the desk as a bridge URL with the bytes', async () => {
    const h = await harness();
    const sid = await h.live();
    h.teams.platformFiles.set('https://platform.example/f/1', png);
    await h.send(
      ue.message('screenshot', {
        files: [{ name: 'shot.png', contentType: 'image/png', size: png.byteLength, url: 'https://platform.example/f/1' }],
      }),
    );
    const sent = h.desk.sent.find((m) => m.message.text === 'screenshot')!;
    const file = sent.message.files![0];
    expect(file).toMatchObject({ name: 'shot.png', contentType: 'image/png', size: png.byteLength });
    expect(file.url).toMatch(/^https:\/\/bridge\.example\/files\/[\w-]{22}\/shot\.png$/);
    expect(Buffer.from(file.content!)).toEqual(Buffer.from(png));
    const stored = await h.files.get(h.files.idOf(file.url)!);
    expect(stored?.entry).toMatchObject({ sessionId: sid, name: 'shot.png' });
  });

  it('refuses a file over the limit with a clear message, and the chat goes on', async () => {
    const h = await harness({ settings: settings({ files: { maxBytes: 4 } }) });
    await h.live();
    h.teams.platformFiles.set('https://platform.example/big', png);
    // Size unknown up front: found out while downloading.
    await h.send(ue.message('here', { files: [{ name: 'big.png', contentType: 'image/png', url: 'https://platform.example/big' }] }));
    expect(h.teams.texts().some((t) => t.includes('"big.png" was not sent to the agent') && t.includes('larger than'))).toBe(true);
    expect(h.desk.sent.find((m) => m.message.text === 'here')?.message.files).toBeUndefined();
    await h.send(ue.message('still chatting'));
    expect(h.desk.sent.map((m) => m.message.text)).toContain('still chatting');
  });

  it('refuses by declared size, type and per-chat count before downloading anything', async () => {
    const h = await harness({ settings: settings({ files: { maxBytes: 100, maxPerSession: 1, allowedTypes: ['image/*'] } }) });
    await h.live();
    h.teams.platformFiles.set('u1', png);
    await h.send(
      ue.message('', {
        files: [
          { name: 'a.exe', contentType: 'application/x-msdownload', url: 'u0' },
          { name: 'huge.png', contentType: 'image/png', size: 10_000, url: 'u0' },
          { name: 'ok.png', contentType: 'image/png', url: 'u1' },
          { name: 'second.png', contentType: 'image/png', url: 'u1' },
        ],
      }),
    );
    const texts = h.teams.texts().join('\n');
    expect(texts).toMatch(/"a\.exe" was not sent.*not accepted/);
    expect(texts).toMatch(/"huge\.png" was not sent.*larger than 100 bytes/);
    expect(texts).toMatch(/"second\.png" was not sent.*only 1 files/);
    const files = h.desk.sent.flatMap((m) => m.message.files ?? []);
    expect(files.map((f) => f.name)).toEqual(['ok.png']);
  });

  it('a file that cannot be downloaded is refused on its own; the text still goes', async () => {
    const h = await harness();
    await h.live();
    await h.send(
      ue.message('see attached', {
        files: [{ name: 'gone.pdf', contentType: 'application/pdf', url: 'https://platform.example/missing' }],
      }),
    );
    expect(h.teams.texts().some((t) => t.includes('"gone.pdf" was not sent') && t.includes('could not be downloaded'))).toBe(true);
    expect(h.desk.sent.map((m) => m.message.text)).toContain('see attached');
  });

  it('an agent file kept in the vault reaches the surface with its bytes', async () => {
    const h = await harness();
    const sid = await h.live();
    const ref = await h.files.put(sid, { name: 'fix.txt', contentType: 'text/plain' }, new TextEncoder().encode('do this'));
    await h.desk.emit({
      type: 'agentMessage',
      sessionId: sid,
      agent: agents.beth,
      messageId: 'm-f',
      text: 'here you go',
      files: [{ ...ref, content: undefined }],
    });
    await h.broker.idle();
    const sent = h.teams.sends.find((x) => x.content.kind === 'text' && x.content.text === 'here you go')!;
    const file = (sent.content as { files?: { content?: Uint8Array }[] }).files![0];
    expect(Buffer.from(file.content!).toString()).toBe('do this');
  });

  it('an agent file the desk hands over with its bytes (no vault URL) reaches the surface with those bytes', async () => {
    const h = await harness();
    const sid = await h.live();
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await h.desk.emit({
      type: 'agentMessage',
      sessionId: sid,
      agent: agents.beth,
      messageId: 'm-b',
      text: 'raw bytes',
      files: [{ name: 'a.bin', contentType: 'application/octet-stream', content: bytes }],
    });
    await h.broker.idle();
    const sent = h.teams.sends.find((x) => x.content.kind === 'text' && x.content.text === 'raw bytes')!;
    const file = (sent.content as { files?: { content?: Uint8Array }[] }).files![0];
    expect([...Buffer.from(file.content!)]).toEqual([0, 1, 2, 250, 255]);
  });
});

// =============================================================================== user text limit

describe('user text longer than bot.maxMessageChars', () => {
  const huge = 'x'.repeat(900 * 1024);
  /** Everything the store holds, in characters of JSON. */
  const storedBytes = async (h: Awaited<ReturnType<typeof harness>>) => {
    let n = 0;
    for (const key of await h.store.store.keys('')) {
      const held = await h.store.store.get(key).catch(async () => h.store.store.list(key)); // a list refuses `get`
      n += JSON.stringify(held).length;
    }
    return n;
  };

  it('in bot mode: not kept (no history, no description), the user is told', async () => {
    const h = await harness();
    await h.send(ue.message(huge));
    expect(h.teams.texts()).toEqual([M.tooLong.replace('{max}', '10,000')]);
    expect(h.teams.cards()).toHaveLength(0);
    expect(await storedBytes(h)).toBeLessThan(10_000);
    expect((await h.conv())?.lastUtterance).toBeUndefined();
  });

  it('during a chat: not relayed to the desk, nothing stored, the chat goes on', async () => {
    const h = await harness();
    const sid = await h.live();
    const before = h.desk.sent.length;
    await h.send(ue.message(huge));
    expect(h.desk.sent).toHaveLength(before);
    expect(h.teams.texts()).toContain(M.tooLong.replace('{max}', '10,000'));
    expect(await storedBytes(h)).toBeLessThan(20_000);
    await h.send(ue.message('y'.repeat(10_000)));
    expect(h.desk.sent.map((s) => s.message.text.length)).toContain(10_000);
    expect(((await h.conv())?.session as { sessionId?: string })?.sessionId).toBe(sid);
  });

  it('the limit is configured', async () => {
    const h = await harness({ settings: settings({ maxMessageChars: 20 }) });
    await h.send(ue.message('My VPN drops every five minutes'));
    expect(h.teams.texts()).toEqual([M.tooLong.replace('{max}', '20')]);
  });
});
