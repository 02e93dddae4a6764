/**
 * ConsoleDesk without HTTP: what it keeps in the Store, TTLs, queue positions, de-duplication,
 * concurrency, ordering towards the sink, restarts, and agents from settings.
 */
import type { AgentInfo, DeskEvent, DeskEventSink } from '../../../../bots/core/ports';
import { ConsoleDesk } from '../../../../adapters/desks/console/desk';
import type { ChatRecord } from '../../../../adapters/desks/console/chat-record';
import type { EventStream } from '../../../../adapters/desks/console/sse';
import { chatRequest } from '../../../contract/desk.contract';
import { ManualClock } from '../../../helpers/console-clock';
import { RecordingLogger, TEST_AGENTS } from '../../../helpers/console-harness';
import { RecordingStore } from '../../../helpers/recording-store';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const beth: AgentInfo = { id: 'beth', name: 'Beth Ortiz' };
const sam: AgentInfo = { id: 'sam', name: 'Sam Lee' };

let clock: ManualClock;
let store: RecordingStore;
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

/** A chat as versions before the message list stored it (everything in one record), without messages. */
function chatRecordOf(id: string): Omit<ChatRecord, 'messages'> {
  const r = chatRequest(id);
  return {
    id,
    status: 'queued',
    title: r.title,
    details: r.details,
    topic: r.topic,
    user: { ...r.user },
    surface: r.surface,
    routing: r.routing,
    history: r.history,
    createdAt: 0,
    agents: [],
  };
}

beforeEach(() => {
  clock = new ManualClock();
  store = new RecordingStore(() => clock.now());
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
  it('keeps one small key per chat with everything agents need, listed in an index; messages in a list of their own', async () => {
    const desk = makeDesk();
    await desk.openChat(chatRequest('s1'));
    const record = await store.get<Record<string, unknown>>('console:chat:s1');
    // The id is the key's; messages are not in the chat, only how many there are (none yet, so
    // no count, as no agents means no agent list).
    expect(record).toEqual({
      status: 'queued',
      title: 'My laptop will not connect to VPN',
      details: expect.any(String),
      topic: { id: 'network', label: 'Network' },
      user: { id: 'u-1', name: 'Jordan Example', email: 'jordan@example.com', locale: 'en-US' },
      surface: 'teams',
      routing: { language: 'en', region: 'us' },
      history: expect.arrayContaining([expect.objectContaining({ from: 'bot' })]),
      createdAt: clock.now(),
    });
    expect(await store.get('console:index')).toEqual(['s1']);
    expect(store.ttls.get('console:chat:s1')).toBe(7 * DAY);
    expect(await store.list('console:messages:s1')).toEqual([]);

    // Each message is appended to the chat's list; the chat keeps the count and a preview.
    await desk.accept(beth, 's1');
    await desk.sendMessage('s1', userMsg('m1', 'hello'));
    expect(await store.list('console:messages:s1')).toEqual([
      { id: 'id-1', from: 'system', text: 'Beth Ortiz joined the chat', private: false, at: clock.now() },
      { id: 'm1', from: 'user', text: 'hello', private: false, at: clock.now() },
    ]);
    expect(store.ttls.get('console:messages:s1')).toBe(7 * DAY);
    expect(await store.get('console:chat:s1')).toMatchObject({
      status: 'live',
      agents: [beth],
      messageCount: 2,
      lastMessage: { from: 'user', text: 'hello', private: false, at: clock.now() },
    });
    expect(await store.get('console:chat:s1')).not.toHaveProperty('messages');
  });

  it('stores text that repeats the title once, and gives it back in full', async () => {
    const desk = makeDesk();
    const request = chatRequest('s1', {
      title: 'vpn broken',
      details: 'vpn broken',
      history: [
        { from: 'user', text: 'vpn broken', at: 1 },
        { from: 'bot', text: 'An agent can help.', at: 2 },
      ],
    });
    await desk.openChat(request);
    const stored = await store.get<Record<string, unknown>>('console:chat:s1');
    expect(stored).not.toHaveProperty('details');
    expect(stored!.history).toEqual([
      { from: 'user', at: 1 },
      { from: 'bot', text: 'An agent can help.', at: 2 },
    ]);
    const chat = await desk.getChat('s1');
    expect(chat.details).toBe('vpn broken');
    expect(chat.history).toEqual(request.history);
  });

  it('reads a chat stored before messages had their own list, and adds to it', async () => {
    const earlier = [
      { id: 'x1', from: 'system', text: 'Beth Ortiz joined the chat', private: false, at: 1 },
      { id: 'u1', from: 'user', text: 'old message', private: false, at: 2 },
    ];
    await store.set(
      'console:chat:old',
      { ...chatRecordOf('old'), status: 'live', agents: [beth], acceptedAt: 1, messages: earlier },
      7 * DAY,
    );
    await store.set('console:index', ['old'], 14 * DAY);
    const desk = makeDesk();
    expect(await desk.listChats()).toEqual([
      expect.objectContaining({ id: 'old', messageCount: 2, lastMessage: expect.objectContaining({ text: 'old message' }) }),
    ]);
    // A retry of a message already in the old record is still shown once.
    await desk.sendMessage('old', userMsg('u1', 'old message'));
    await desk.sendMessage('old', userMsg('u2', 'new message'));
    await desk.postMessage(beth, 'old', { text: 'answer' });
    const chat = await desk.getChat('old');
    expect(chat.messages.map((m) => m.text)).toEqual(['Beth Ortiz joined the chat', 'old message', 'new message', 'answer']);
    expect((await desk.listChats())[0]).toMatchObject({ messageCount: 4, lastMessage: { text: 'answer' } });
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
      files: [
        { name: 'err.png', contentType: 'image/png', size: 3, url: 'https://files.example/err.png', content: new Uint8Array([1, 2, 3]) },
      ],
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

describe('store failures', () => {
  it('a user message that could not be stored is not taken for a duplicate when retried', async () => {
    const desk = makeDesk();
    await desk.openChat(chatRequest('s1'));
    const append = store.append.bind(store);
    let failNext = true;
    store.append = async (key, value, ttl) => {
      if (failNext) {
        failNext = false;
        throw new Error('store down');
      }
      return append(key, value, ttl);
    };
    await expect(desk.sendMessage('s1', userMsg('m1', 'first try'))).rejects.toThrow('store down');
    await desk.sendMessage('s1', userMsg('m1', 'first try'));
    await desk.sendMessage('s1', userMsg('m1', 'first try'));
    expect((await desk.getChat('s1')).messages.map((m) => m.text)).toEqual(['first try']);
    expect((await desk.listChats())[0]).toMatchObject({ messageCount: 1, lastMessage: { text: 'first try' } });
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

describe('coalesced agent events (as the bridge runs the console)', () => {
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

  function coalescingDesk() {
    const desk = new ConsoleDesk({
      store,
      clock,
      logger,
      settings: { agents: TEST_AGENTS, recentChatsHours: 24 },
      ids: () => `id-${++seq}`,
      coalesceEvents: true,
    });
    void desk.start(async (e) => void events.push(e));
    return desk;
  }

  it('writes the events of a turn at its end, in order, to each stream open when they happened', async () => {
    const desk = coalescingDesk();
    const a = recordingStream();
    const late = recordingStream();
    desk.connectAgent(beth, a);
    await desk.openChat(chatRequest('s1'));
    await desk.accept(beth, 's1');
    await desk.sendMessage('s1', userMsg('m1', 'hello'));
    // Nothing but the greeting yet; the sink was not held up by it.
    expect(a.sent.map((e) => e.event)).toEqual(['ready']);
    expect(events.map((e) => e.type)).toEqual(['queued', 'agentJoined']);
    desk.connectAgent(sam, late);
    await turn();
    expect(a.sent.map((e) => e.event)).toEqual(['ready', 'chat.created', 'chat.updated', 'message.created', 'message.created']);
    expect(a.sent.slice(3).map((e) => e.data.message.text)).toEqual(['Beth Ortiz joined the chat', 'hello']);
    // Connected after those events: it gets none of them.
    expect(late.sent.map((e) => e.event)).toEqual(['ready']);
    await desk.postMessage(beth, 's1', { text: 'hi there' });
    await turn();
    expect(late.sent.map((e) => e.event)).toEqual(['ready', 'message.created']);
  });

  it('skips streams closed before the turn ended, and a failing stream does not stop the others', async () => {
    const desk = coalescingDesk();
    const gone = recordingStream();
    const broken = {
      ...recordingStream(),
      send: (event: string) => {
        if (event !== 'ready') throw new Error('socket gone');
      },
    };
    const ok = recordingStream();
    const off = desk.connectAgent(beth, gone);
    desk.connectAgent(sam, broken);
    desk.connectAgent(sam, ok);
    await desk.openChat(chatRequest('s1'));
    off();
    await turn();
    expect(gone.sent.map((e) => e.event)).toEqual(['ready']);
    expect(ok.sent.map((e) => e.event)).toEqual(['ready', 'chat.created']);
    expect(logger.entries.some((e) => e.level === 'warn' && e.msg?.includes('writing to an event stream failed'))).toBe(true);
  });

  it('stop() writes what is pending before it closes the streams', async () => {
    const desk = coalescingDesk();
    const a = recordingStream();
    desk.connectAgent(beth, a);
    await desk.openChat(chatRequest('s1'));
    await desk.stop();
    expect(a.sent.map((e) => e.event)).toEqual(['ready', 'chat.created']);
    expect(a.closed).toBe(true);
    await turn();
    expect(a.sent).toHaveLength(2);
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
