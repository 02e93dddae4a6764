/**
 * ConsoleDesk without HTTP: what it keeps in the Store, TTLs, queue positions, de-duplication,
 * concurrency, ordering towards the sink, restarts, and agents from settings.
 */
import type { AgentInfo, DeskEvent, DeskEventSink } from '../../bots/core/ports';
import { ConsoleDesk } from '../../adapters/desks/console/desk';
import type { ChatRecord } from '../../adapters/desks/console/chat-record';
import type { EventStream } from '../../adapters/desks/console/sse';
import { chatRequest } from '../contract/desk.contract';
import { ManualClock } from '../helpers/console-clock';
import { RecordingLogger, TEST_AGENTS } from '../helpers/console-harness';
import { ConsoleMemoryStore } from '../helpers/console-memory-store';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const beth: AgentInfo = { id: 'beth', name: 'Beth Ortiz' };
const sam: AgentInfo = { id: 'sam', name: 'Sam Lee' };

let clock: ManualClock;
let store: ConsoleMemoryStore;
let logger: RecordingLogger;
let events: DeskEvent[];
let seq: number;

function makeDesk(options: { agents?: typeof TEST_AGENTS; sink?: DeskEventSink; recentChatsHours?: number } = {}) {
  const desk = new ConsoleDesk({
    store,
    clock,
    logger,
    settings: { agents: options.agents ?? TEST_AGENTS, recentChatsHours: options.recentChatsHours ?? 24 },
    ids: () => `id-${++seq}`,
  });
  void desk.start(options.sink ?? (async (e) => void events.push(e)));
  return desk;
}

function recordingStream(): EventStream & { sent: { event: string; data: any }[]; closed: boolean } {
  const s = {
    sent: [] as { event: string; data: any }[],
    closed: false,
    send(event: string, data: unknown) {
      s.sent.push({ event, data });
    },
    comment() {},
    close() {
      s.closed = true;
    },
  };
  return s;
}

const userMsg = (messageId: string, text: string) => ({ messageId, text, at: clock.now() });

beforeEach(() => {
  clock = new ManualClock();
  store = new ConsoleMemoryStore(() => clock.now());
  logger = new RecordingLogger();
  events = [];
  seq = 0;
});

describe('agents', () => {
  it('makes up one agent with a 32-character token when none are configured', () => {
    const desk = makeDesk({ agents: [] });
    expect(desk.generatedAgent).toEqual({ id: 'agent', name: 'Agent', token: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/) });
    expect(desk.authenticate(desk.generatedAgent!.token)).toEqual({ id: 'agent', name: 'Agent' });
    expect(makeDesk({ agents: [] }).generatedAgent!.token).not.toBe(desk.generatedAgent!.token);
  });

  it('uses configured agents, with ids from their names when not given', () => {
    const desk = makeDesk({
      agents: [{ name: "Beth O'Neil", token: 'a'.repeat(20), avatarUrl: 'https://example.com/b.png' } as any],
    });
    expect(desk.generatedAgent).toBeUndefined();
    expect(desk.authenticate('a'.repeat(20))).toEqual({ id: 'beth-o-neil', name: "Beth O'Neil", avatarUrl: 'https://example.com/b.png' });
    expect(desk.authenticate('a'.repeat(21))).toBeUndefined();
    expect(desk.authenticate('')).toBeUndefined();
  });

  it('refuses duplicate agent ids or tokens without echoing a token', () => {
    expect(() => makeDesk({ agents: [TEST_AGENTS[0], { ...TEST_AGENTS[1], id: 'beth' }] })).toThrow(
      expect.objectContaining({ code: 'config_invalid' }),
    );
    let message = '';
    try {
      makeDesk({ agents: [TEST_AGENTS[0], { ...TEST_AGENTS[1], token: TEST_AGENTS[0].token }] });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/duplicate agent token/);
    expect(message).not.toContain(TEST_AGENTS[0].token);
  });
});

describe('state in the store', () => {
  it('keeps one key per chat with everything agents need, listed in an index', async () => {
    const desk = makeDesk();
    await desk.openChat(chatRequest('s1'));
    const record = await store.get<ChatRecord>('console:chat:s1');
    expect(record).toEqual({
      id: 's1',
      status: 'queued',
      title: 'My laptop will not connect to VPN',
      details: expect.any(String),
      topic: { id: 'network', label: 'Network' },
      user: { id: 'u-1', name: 'Jordan Example', email: 'jordan@example.com', locale: 'en-US' },
      surface: 'teams',
      routing: { language: 'en', region: 'us' },
      history: expect.arrayContaining([expect.objectContaining({ from: 'bot' })]),
      createdAt: clock.now(),
      agents: [],
      messages: [],
    });
    expect(await store.get('console:index')).toEqual(['s1']);
    expect(store.ttls.get('console:chat:s1')).toBe(7 * DAY);
  });

  it('keeps ended chats only as long as they are listed as recent', async () => {
    const desk = makeDesk({ recentChatsHours: 6 });
    await desk.openChat(chatRequest('s1'));
    await desk.endChat('s1', 'user_stopped');
    expect(store.ttls.get('console:chat:s1')).toBe(6 * HOUR);
    expect((await desk.listChats()).map((c) => c.id)).toEqual(['s1']);

    clock.advance(6 * HOUR + 1);
    expect(await desk.listChats()).toEqual([]);
    // The expired id was pruned from the index too.
    expect(await store.get('console:index')).toEqual([]);
  });

  it('survives a restart: a new desk on the same store serves the same chats', async () => {
    const first = makeDesk();
    await first.openChat(chatRequest('s1'));
    await first.accept(beth, 's1');
    await first.stop();

    const second = makeDesk();
    await second.sendMessage('s1', userMsg('m1', 'still there?'));
    await second.postMessage(beth, 's1', { text: 'yes' });
    const chat = await second.getChat('s1');
    expect(chat.status).toBe('live');
    expect(chat.messages.map((m) => m.text)).toEqual(['Beth Ortiz joined the chat', 'still there?', 'yes']);
  });
});

describe('opening chats', () => {
  it('reports queue positions among queued chats', async () => {
    const desk = makeDesk();
    await desk.openChat(chatRequest('a'));
    clock.advance(1000);
    await desk.openChat(chatRequest('b'));
    await desk.accept(beth, 'a');
    clock.advance(1000);
    await desk.openChat(chatRequest('c'));
    expect(events.filter((e) => e.type === 'queued')).toEqual([
      { type: 'queued', sessionId: 'a', position: 1 },
      { type: 'queued', sessionId: 'b', position: 2 },
      { type: 'queued', sessionId: 'c', position: 2 },
    ]);
  });

  it('refuses to open a chat that is already open, and reopens an ended one fresh', async () => {
    const desk = makeDesk();
    await desk.openChat(chatRequest('s1'));
    await expect(desk.openChat(chatRequest('s1'))).rejects.toMatchObject({ code: 'conflict' });
    await desk.accept(beth, 's1');
    await expect(desk.openChat(chatRequest('s1'))).rejects.toMatchObject({ code: 'conflict' });

    await desk.endChat('s1', 'user_stopped');
    await desk.openChat(chatRequest('s1', { title: 'Second try' }));
    const chat = await desk.getChat('s1');
    expect(chat).toMatchObject({ status: 'queued', title: 'Second try', agents: [], messages: [] });
    expect(await store.get('console:index')).toEqual(['s1']);
  });

  it('tells agents about new chats', async () => {
    const desk = makeDesk();
    const stream = recordingStream();
    desk.connectAgent(sam, stream);
    await desk.openChat(chatRequest('s1'));
    expect(stream.sent.map((e) => e.event)).toEqual(['ready', 'chat.created']);
    expect(stream.sent[1].data.chat).toMatchObject({ id: 's1', status: 'queued', user: { name: 'Jordan Example' } });
  });
});

describe('user messages', () => {
  it('stores each messageId once and keeps file links, never bytes', async () => {
    const desk = makeDesk();
    await desk.openChat(chatRequest('s1'));
    await desk.sendMessage('s1', userMsg('m1', 'one'));
    await desk.sendMessage('s1', userMsg('m1', 'one'));
    await desk.sendMessage('s1', {
      ...userMsg('m2', 'screenshot'),
      files: [{ name: 'err.png', contentType: 'image/png', size: 3, url: 'https://files.example/err.png', content: new Uint8Array([1, 2, 3]) }],
    });
    const { messages } = await desk.getChat('s1');
    expect(messages).toEqual([
      { id: 'm1', from: 'user', text: 'one', private: false, at: clock.now() },
      {
        id: 'm2',
        from: 'user',
        text: 'screenshot',
        private: false,
        at: clock.now(),
        files: [{ name: 'err.png', contentType: 'image/png', size: 3, url: 'https://files.example/err.png' }],
      },
    ]);
  });

  it('refuses messages for unknown or ended chats with unknown_session', async () => {
    const desk = makeDesk();
    await expect(desk.sendMessage('nope', userMsg('m1', 'x'))).rejects.toMatchObject({ code: 'unknown_session' });
    await desk.openChat(chatRequest('s1'));
    await desk.endChat('s1', 'user_cancelled');
    await expect(desk.sendMessage('s1', userMsg('m1', 'x'))).rejects.toMatchObject({ code: 'unknown_session' });
  });

  it('loses no update when many calls hit one chat at once', async () => {
    const desk = makeDesk();
    await desk.openChat(chatRequest('s1'));
    await desk.accept(beth, 's1');
    await Promise.all([
      ...Array.from({ length: 40 }, (_, i) => desk.sendMessage('s1', userMsg(`u${i}`, `user ${i}`))),
      ...Array.from({ length: 40 }, (_, i) => desk.postMessage(beth, 's1', { text: `agent ${i}` })),
      desk.accept(sam, 's1'),
    ]);
    const chat = await desk.getChat('s1');
    expect(chat.messages.filter((m) => m.from === 'user')).toHaveLength(40);
    expect(chat.messages.filter((m) => m.from === 'agent')).toHaveLength(40);
    expect(chat.agents.map((a) => a.id)).toEqual(['beth', 'sam']);
    // Agent messages reached the sink in the order they were stored.
    const stored = chat.messages.filter((m) => m.from === 'agent').map((m) => m.id);
    const relayed = events.flatMap((e) => (e.type === 'agentMessage' ? [e.messageId] : []));
    expect(relayed).toEqual(stored);
  });
});

describe('ending', () => {
  it.each([
    ['user_stopped', 'The user ended the chat'],
    ['user_cancelled', 'The user cancelled'],
    ['queue_timeout', 'Queue timeout: no agent accepted the chat in time'],
  ] as const)('records %s with a line for agents, once', async (reason, line) => {
    const desk = makeDesk();
    await desk.openChat(chatRequest('s1'));
    await desk.endChat('s1', reason);
    await desk.endChat('s1', reason);
    const chat = await desk.getChat('s1');
    expect(chat).toMatchObject({ status: 'ended', endedReason: reason, endedAt: clock.now() });
    expect(chat.messages).toEqual([expect.objectContaining({ from: 'system', text: line })]);
    expect(events.filter((e) => e.type === 'ended')).toEqual([]);
  });

  it('logs and ignores ending an unknown chat', async () => {
    const desk = makeDesk();
    await expect(desk.endChat('ghost', 'user_stopped')).resolves.toBeUndefined();
    expect(logger.entries.some((e) => e.msg?.includes('unknown chat'))).toBe(true);
  });

  it('lets any agent close a queued request', async () => {
    const desk = makeDesk();
    await desk.openChat(chatRequest('s1'));
    const chat = await desk.end(sam, 's1');
    expect(chat).toMatchObject({ status: 'ended', endedReason: 'agent_ended' });
    expect(events).toContainEqual({ type: 'ended', sessionId: 's1', reason: 'agent_ended' });
  });
});

describe('the sink', () => {
  it('gets typing from agents in the chat only', async () => {
    const desk = makeDesk();
    await desk.openChat(chatRequest('s1'));
    await desk.typing(beth, 's1');
    await desk.accept(beth, 's1');
    await desk.typing(sam, 's1');
    await desk.typing(beth, 's1');
    expect(events.filter((e) => e.type === 'typing')).toEqual([{ type: 'typing', sessionId: 's1', agent: beth, on: true }]);
  });

  it('may call back into the desk without deadlock', async () => {
    let desk!: ConsoleDesk;
    desk = makeDesk({
      sink: async (e) => {
        events.push(e);
        // The broker ends the chat when the user cannot be reached.
        if (e.type === 'agentMessage') await desk.endChat(e.sessionId, 'desk_error');
      },
    });
    await desk.openChat(chatRequest('s1'));
    await desk.accept(beth, 's1');
    await desk.postMessage(beth, 's1', { text: 'hello' });
    expect((await desk.getChat('s1')).status).toBe('ended');
  });

  it('a failing sink does not undo the chat, and is logged', async () => {
    const desk = makeDesk({
      sink: async () => {
        throw new Error('broker down');
      },
    });
    await desk.openChat(chatRequest('s1'));
    await desk.accept(beth, 's1');
    expect((await desk.getChat('s1')).status).toBe('live');
    await expect(desk.postMessage(beth, 's1', { text: 'hi' })).rejects.toMatchObject({ code: 'surface_send_failed', retryable: true });
    await expect(desk.postMessage(beth, 's1', { text: 'note', private: true })).resolves.toMatchObject({ private: true });
    expect(logger.entries.filter((e) => e.level === 'error' && e.msg?.includes('sink failed')).length).toBeGreaterThan(0);
  });

  it('hears nothing before start(), and says so in the log', async () => {
    const desk = new ConsoleDesk({ store, clock, logger, settings: { agents: TEST_AGENTS, recentChatsHours: 24 } });
    await desk.openChat(chatRequest('s1'));
    expect(logger.entries.some((e) => e.msg?.includes('before start'))).toBe(true);
  });
});

describe('presence', () => {
  it('counts distinct agents with an open stream, and stop() closes them', async () => {
    const desk = makeDesk();
    const a = recordingStream();
    const b = recordingStream();
    const c = recordingStream();
    const offA = desk.connectAgent(beth, a);
    desk.connectAgent(beth, b);
    desk.connectAgent(sam, c);
    expect(await desk.checkAvailability()).toEqual({ available: true, agentsOnline: 2 });
    offA();
    offA();
    expect((await desk.checkAvailability()).agentsOnline).toBe(2);
    await desk.stop();
    expect([a.closed, b.closed, c.closed]).toEqual([false, true, true]);
    expect(await desk.checkAvailability()).toEqual({ available: false, agentsOnline: 0 });
    expect(clock.timers).toBe(0);
  });
});
