/**
 * `ChatStreamOwner` in two "processes" (two owners, each with a desk connector of its own) on one
 * memory store and a manual clock: one owner per chat connection, renewed while it lives, closed
 * at once when its lease is lost, released on stop, taken over from the persisted cursor when
 * its owner dies, reopened when it drops, and let go when the chat ends.
 */
import { ChatStreamOwner } from '../../../bots/core/chat-stream-owner';
import {
  DEFAULT_STREAM_TIMINGS,
  isStreamDesk,
  streamKeys,
  type ChatStream,
  type ChatStreamEvents,
  type StreamDesk,
} from '../../../bots/core/chat-streams';
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import type { Availability, DeskEvent, OpenChatRequest } from '../../../bots/core/ports';
import { StreamRegistry } from '../../../bots/core/stream-registry';
import { ManualClock } from '../../helpers/console-clock';
import { RecordingStore } from '../../helpers/recording-store';
import { RecordingLogger } from '../../helpers/core-fakes';
import { KillableClock } from '../../helpers/killable-clock';

const { leaseTtlMs, scanIntervalMs, reopenDelayMs } = DEFAULT_STREAM_TIMINGS;
const DESK = 'scripted';
const agent = { id: 'a1', name: 'Ada' };

interface OpenedStream {
  sessionId: string;
  cursor: string | undefined;
  events: ChatStreamEvents;
  closed: boolean;
  at: number;
}

/** A stream desk whose connections the test drives: `opens` records every `openStream`. */
class ScriptedDesk implements StreamDesk {
  readonly name = DESK;
  readonly opens: OpenedStream[] = [];
  readonly ended: string[] = [];
  openFailure?: Error;
  endFailure?: Error;

  constructor(private readonly clock: { now(): number }) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async checkAvailability(): Promise<Availability> {
    return { available: true };
  }
  async openChat(): Promise<void> {}
  async sendMessage(): Promise<void> {}
  async endChat(sessionId: string): Promise<void> {
    if (this.endFailure) throw this.endFailure;
    this.ended.push(sessionId);
  }

  async openStream(sessionId: string, cursor: string | undefined, events: ChatStreamEvents): Promise<ChatStream> {
    if (this.openFailure) throw this.openFailure;
    const opened: OpenedStream = { sessionId, cursor, events, closed: false, at: this.clock.now() };
    this.opens.push(opened);
    return {
      close: async () => {
        opened.closed = true;
      },
    };
  }

  /** The stream open now for a chat, if any. */
  live(sessionId: string): OpenedStream | undefined {
    return this.opens.filter((o) => o.sessionId === sessionId && !o.closed).at(-1);
  }
}

const request = (sessionId: string) =>
  ({ sessionId, surface: 'teams', user: { id: 'u', name: 'U' }, title: 't', details: 'd', routing: {}, history: [] }) as OpenChatRequest;
const message = (sessionId: string, n: number): DeskEvent => ({
  type: 'agentMessage',
  sessionId,
  agent,
  messageId: `m${n}`,
  text: `hello ${n}`,
});

function setup() {
  const clock = new ManualClock(0);
  const store = new RecordingStore(() => clock.now());
  const sunk: { by: string; event: DeskEvent }[] = [];

  async function process(name: string) {
    const processClock = new KillableClock(clock);
    const desk = new ScriptedDesk(clock);
    const owner = new ChatStreamOwner(desk, { store, clock: processClock, logger: new RecordingLogger(), owner: name });
    await owner.start(async (event) => void sunk.push({ by: name, event }));
    return { name, desk, owner, clock: processClock };
  }

  /** Let time pass in steps, letting the store's promises settle at each. */
  async function run(ms: number, step = 250) {
    for (let t = 0; t < ms; t += step) {
      clock.advance(step);
      for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    }
  }

  const holder = (sessionId: string) => store.leaseHolder(streamKeys.lease(DESK, sessionId));
  const cursor = (sessionId: string) => store.get<string>(streamKeys.cursor(DESK, sessionId));
  const texts = (by?: string) =>
    sunk.filter((s) => by === undefined || s.by === by).map((s) => (s.event.type === 'agentMessage' ? s.event.text : s.event.type));
  return { clock, store, sunk, process, run, holder, cursor, texts };
}

describe('ChatStreamOwner', () => {
  it('is used for desks that declare openStream', () => {
    expect(isStreamDesk(new ScriptedDesk({ now: () => 0 }))).toBe(true);
  });

  it("opens a chat's stream once, on the process that opened the chat, and renews its lease while it lives", async () => {
    const { process, run, holder } = setup();
    const a = await process('a');
    const b = await process('b');
    await a.owner.openChat(request('s1'));
    expect(a.desk.opens).toEqual([expect.objectContaining({ sessionId: 's1', cursor: undefined })]);

    await run(5 * leaseTtlMs); // many renewals and scans on both
    expect(a.desk.opens).toHaveLength(1);
    expect(a.desk.live('s1')).toBeDefined();
    expect(b.desk.opens).toEqual([]);
    expect(await holder('s1')).toMatchObject({ owner: 'a' });
    expect(a.owner.owned).toEqual(['s1']);
  });

  it('delivers events in order and persists the cursor after each, fenced by the lease', async () => {
    const { process, cursor, texts } = setup();
    const a = await process('a');
    await a.owner.openChat(request('s1'));
    const { events } = a.desk.live('s1')!;
    const answers = [
      events.event(message('s1', 1), '1'),
      events.event(message('s1', 2), '2'),
      events.event({ type: 'typing', sessionId: 's1', on: true }),
    ];
    expect(await Promise.all(answers)).toEqual([true, true, true]);
    expect(texts()).toEqual(['hello 1', 'hello 2', 'typing']);
    expect(await cursor('s1')).toBe('2');
  });

  it('closes the stream at once when the lease is lost, and delivers nothing after', async () => {
    const { store, process, run, texts } = setup();
    const a = await process('a');
    await a.owner.openChat(request('s1'));
    const opened = a.desk.live('s1')!;
    // Someone else holds the lease now (as after this process was cut off past its TTL).
    await store.delete(streamKeys.lease(DESK, 's1'));
    await store.acquireLease(streamKeys.lease(DESK, 's1'), 'x', 60_000);

    await run(leaseTtlMs / 3 + 250); // the next renewal is refused
    expect(opened.closed).toBe(true);
    expect(await opened.events.event(message('s1', 1), '1')).toBe(false);
    expect(texts()).toEqual([]);
    expect(a.owner.owned).toEqual([]);
  });

  it('a fenced cursor write refused marks the lease lost and closes the stream', async () => {
    const { store, process, run, cursor } = setup();
    const a = await process('a');
    await a.owner.openChat(request('s1'));
    const opened = a.desk.live('s1')!;
    await opened.events.event(message('s1', 1), '1');
    await store.delete(streamKeys.lease(DESK, 's1'));
    await store.acquireLease(streamKeys.lease(DESK, 's1'), 'x', 60_000);
    // Delivered (the lease looked fine locally), but its cursor is refused: the stream closes.
    await opened.events.event(message('s1', 2), '2');
    await run(250);
    expect(opened.closed).toBe(true);
    expect(await cursor('s1')).toBe('1');
  });

  it('releases its leases on stop, so another process takes over at its next scan, from the cursor', async () => {
    const { clock, process, run, holder, texts } = setup();
    const a = await process('a');
    const b = await process('b');
    await a.owner.openChat(request('s1'));
    await a.desk.live('s1')!.events.event(message('s1', 1), '1');
    await a.owner.stop();
    expect(a.desk.opens[0].closed).toBe(true);
    expect(await holder('s1')).toBeUndefined();

    const stoppedAt = clock.now();
    await run(scanIntervalMs + 250);
    expect(b.desk.opens).toEqual([expect.objectContaining({ sessionId: 's1', cursor: '1' })]);
    expect(b.desk.opens[0].at - stoppedAt).toBeLessThanOrEqual(scanIntervalMs + 250);
    await b.desk.live('s1')!.events.event(message('s1', 2), '2');
    expect(texts('a')).toEqual(['hello 1']);
    expect(texts('b')).toEqual(['hello 2']);
  });

  it('takes over a chat whose owner died, once its lease expired, resuming from the persisted cursor', async () => {
    const { clock, process, run, holder, texts } = setup();
    const a = await process('a');
    const b = await process('b');
    for (const id of ['s1', 's2']) await a.owner.openChat(request(id));
    await a.desk.live('s1')!.events.event(message('s1', 1), '1');
    await run(1000);

    a.clock.kill(); // SIGKILL: no more renewals, nothing released, sockets left as they are
    const diedAt = clock.now();
    await run(leaseTtlMs / 2);
    expect(b.desk.opens).toEqual([]); // the lease still runs
    await run(leaseTtlMs + scanIntervalMs);
    expect(b.desk.opens.map((o) => [o.sessionId, o.cursor]).sort()).toEqual([
      ['s1', '1'],
      ['s2', undefined],
    ]);
    for (const o of b.desk.opens) expect(o.at - diedAt).toBeLessThanOrEqual(leaseTtlMs + scanIntervalMs + 250);
    expect(await holder('s1')).toMatchObject({ owner: 'b' });

    // The dead owner's connection, should it still report, delivers nothing: its lease is gone.
    expect(await a.desk.opens[0].events.event(message('s1', 2), '2')).toBe(false);
    await b.desk.live('s1')!.events.event(message('s1', 2), '2');
    expect(texts()).toEqual(['hello 1', 'hello 2']);
    expect(texts('b')).toEqual(['hello 2']);
  });

  it('reopens a dropped stream from the last cursor, after the events in hand', async () => {
    const { process, run } = setup();
    const a = await process('a');
    await a.owner.openChat(request('s1'));
    const first = a.desk.live('s1')!;
    void first.events.event(message('s1', 1), '1');
    first.events.dropped('network');
    await run(reopenDelayMs + 250);
    expect(a.desk.opens.map((o) => o.cursor)).toEqual([undefined, '1']);
  });

  it('retries a stream that fails to open, with a backoff, while it holds the chat', async () => {
    const { process, run } = setup();
    const a = await process('a');
    a.desk.openFailure = new BridgeError(ErrorCode.DeskUnavailable, 'vendor down');
    await a.owner.openChat(request('s1'));
    expect(a.owner.owned).toEqual(['s1']);
    a.desk.openFailure = undefined;
    await run(reopenDelayMs + 250);
    expect(a.desk.opens).toHaveLength(1);
  });

  it('our endChat closes the stream, releases the lease and removes the registry entry and cursor', async () => {
    const { clock, store, process, holder, cursor } = setup();
    const a = await process('a');
    await a.owner.openChat(request('s1'));
    await a.desk.live('s1')!.events.event(message('s1', 1), '1');
    await a.owner.endChat('s1', 'user_stopped');
    expect(a.desk.ended).toEqual(['s1']);
    expect(a.desk.opens[0].closed).toBe(true);
    expect(await holder('s1')).toBeUndefined();
    expect(await cursor('s1')).toBeUndefined();
    expect(await new StreamRegistry(store, clock, DESK, 60_000).all()).toEqual([]);
  });

  it('lets the chat go when we end it, even when the vendor could not be told', async () => {
    const { clock, store, process, holder } = setup();
    const a = await process('a');
    await a.owner.openChat(request('s1'));
    a.desk.endFailure = new BridgeError(ErrorCode.DeskUnavailable, 'vendor down');
    await expect(a.owner.endChat('s1', 'user_stopped')).rejects.toMatchObject({ code: 'desk_unavailable' });
    expect(a.desk.opens[0].closed).toBe(true);
    expect(await holder('s1')).toBeUndefined();
    expect(await new StreamRegistry(store, clock, DESK, 60_000).all()).toEqual([]);
  });

  it("delivers the agent's ended event, then lets the chat go", async () => {
    const { clock, store, process, run, holder, texts } = setup();
    const a = await process('a');
    const b = await process('b');
    await a.owner.openChat(request('s1'));
    expect(await a.desk.live('s1')!.events.event({ type: 'ended', sessionId: 's1', reason: 'agent_ended' }, '5')).toBe(true);
    expect(texts()).toEqual(['ended']);
    expect(a.desk.opens[0].closed).toBe(true);
    expect(await holder('s1')).toBeUndefined();
    expect(await new StreamRegistry(store, clock, DESK, 60_000).all()).toEqual([]);
    await run(2 * scanIntervalMs);
    expect(b.desk.opens).toEqual([]);
  });

  it('closes a chat that ended through another process at its next scan', async () => {
    const { process, run, holder } = setup();
    const a = await process('a');
    const b = await process('b');
    await a.owner.openChat(request('s1'));
    await b.owner.endChat('s1', 'user_stopped'); // the user's end reached process b
    expect(a.desk.opens[0].closed).toBe(false);
    await run(scanIntervalMs + 250);
    expect(a.desk.opens[0].closed).toBe(true);
    expect(await holder('s1')).toBeUndefined();
  });

  it('tells the core the chat ended when the desk no longer knows it', async () => {
    const { clock, store, process, sunk } = setup();
    const a = await process('a');
    a.desk.openFailure = new BridgeError(ErrorCode.UnknownSession, 'gone');
    await a.owner.openChat(request('s1'));
    expect(sunk.map((s) => s.event)).toEqual([{ type: 'ended', sessionId: 's1', reason: 'desk_error' }]);
    expect(a.owner.owned).toEqual([]);
    expect(await new StreamRegistry(store, clock, DESK, 60_000).all()).toEqual([]);
  });

  it('a process that starts takes over orphaned chats right away', async () => {
    const { process, run } = setup();
    const a = await process('a');
    await a.owner.openChat(request('s1'));
    a.clock.kill();
    await run(leaseTtlMs + 250);
    const c = await process('c');
    await run(250);
    expect(c.desk.opens).toEqual([expect.objectContaining({ sessionId: 's1' })]);
  });
});

describe('StreamRegistry', () => {
  it('keeps concurrent adds and removes from several writers, and drops expired entries', async () => {
    const clock = new ManualClock(0);
    const store = new RecordingStore(() => clock.now());
    const registry = (name: string) => new StreamRegistry(store, clock, name, 60_000);
    const ids = Array.from({ length: 40 }, (_, i) => `s${i}`);
    await Promise.all(
      ids.map((id, i) =>
        registry('d')
          .add(id)
          .then(() => (i % 4 === 0 ? registry('d').remove(id) : undefined)),
      ),
    );
    expect((await registry('d').all()).sort()).toEqual(ids.filter((_, i) => i % 4 !== 0).sort());
    expect(await registry('other').all()).toEqual([]);
    clock.advance(60_001);
    expect(await registry('d').all()).toEqual([]);
  });
});
