/**
 * The console's HTTP API on the wire: sign-in, validation, error statuses, the event stream and
 * the page. Every refusal is checked to have changed nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chatRequest } from '../../../contract/desk.contract';
import type { ConsoleAgentClient, WireMessage } from '../../../helpers/console-agent';
import { ManualClock } from '../../../helpers/console-clock';
import { TEST_AGENTS, startConsoleHarness, type ConsoleHarness } from '../../../helpers/console-harness';

let h: ConsoleHarness;
let beth: ConsoleAgentClient;
let sam: ConsoleAgentClient;

async function openChat(id: string) {
  await h.desk.openChat(chatRequest(id));
}

beforeEach(async () => {
  h = await startConsoleHarness();
  beth = h.client(0);
  sam = h.client(1);
});

afterEach(async () => {
  await h.close();
});

describe('sign-in', () => {
  const protectedCalls: [string, string][] = [
    ['GET', '/api/me'],
    ['GET', '/api/chats'],
    ['GET', '/api/chats/c1'],
    ['POST', '/api/chats/c1/accept'],
    ['GET', '/api/chats/c1/messages'],
    ['POST', '/api/chats/c1/messages'],
    ['POST', '/api/chats/c1/typing'],
    ['POST', '/api/chats/c1/end'],
    ['GET', '/api/events'],
  ];

  it.each(protectedCalls)('%s %s answers 401 without a token', async (method, p) => {
    await openChat('c1');
    const res = await beth.request(method, p, { token: null, body: method === 'POST' ? { text: 'hi' } : undefined });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
  });

  it.each(protectedCalls)('%s %s answers 401 with a wrong token', async (method, p) => {
    await openChat('c1');
    const res = await beth.request(method, p, { token: 'not-a-real-token-at-all', body: method === 'POST' ? { text: 'hi' } : undefined });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  it('refuses other schemes and tokens in the URL', async () => {
    const basic = await beth.request('GET', '/api/me', { headers: { authorization: `Basic ${TEST_AGENTS[0].token}` } });
    expect(basic.status).toBe(401);
    const query = await beth.request('GET', `/api/events?access_token=${TEST_AGENTS[0].token}`, { token: null });
    expect(query.status).toBe(401);
  });

  it('changes nothing when the token is wrong', async () => {
    await openChat('c1');
    const wrong = { token: 'sam-token-0123456789abcdeX' };
    expect((await beth.request('POST', '/api/chats/c1/accept', wrong)).status).toBe(401);
    expect((await beth.request('POST', '/api/chats/c1/messages', { ...wrong, body: { text: 'hi' } })).status).toBe(401);
    expect((await beth.request('POST', '/api/chats/c1/end', wrong)).status).toBe(401);

    const chat = await beth.chat('c1');
    expect(chat.status).toBe('queued');
    expect(chat.messages).toEqual([]);
    expect(h.events.filter((e) => e.type !== 'queued')).toEqual([]);
  });

  it('never writes a token into the logs', async () => {
    await beth.request('GET', '/api/me', { token: 'a-wrong-token-that-is-long' });
    await beth.request('GET', `/api/events?access_token=${TEST_AGENTS[0].token}`, { token: null });
    await beth.me();
    const logs = h.logger.text();
    for (const a of TEST_AGENTS) expect(logs).not.toContain(a.token);
    expect(logs).not.toContain('a-wrong-token-that-is-long');
  });

  it('GET /api/me answers who the token belongs to, without the token', async () => {
    const me = await sam.request('GET', '/api/me');
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ id: 'sam', name: 'Sam Lee' });
    expect(me.headers.get('cache-control')).toBe('no-store');
  });
});

describe('chats', () => {
  it('lists queued, live and recent chats newest first', async () => {
    await openChat('old');
    await new Promise((r) => setTimeout(r, 5));
    await openChat('mid');
    await new Promise((r) => setTimeout(r, 5));
    await openChat('new');
    await beth.accept('mid');
    await h.desk.endChat('old', 'user_stopped');

    const chats = await beth.chats();
    expect(chats.map((c) => [c.id, c.status])).toEqual([
      ['new', 'queued'],
      ['mid', 'live'],
      ['old', 'ended'],
    ]);
    expect(chats[1]).toMatchObject({
      title: 'My laptop will not connect to VPN',
      topic: { id: 'network', label: 'Network' },
      user: { id: 'u-1', name: 'Jordan Example' },
      agents: [{ id: 'beth', name: 'Beth Ortiz' }],
      createdAt: expect.any(Number),
      lastMessage: { from: 'system', text: 'Beth Ortiz joined the chat' },
    });
  });

  it('GET /api/chats/:id gives the whole chat with details and history', async () => {
    await openChat('c1');
    const chat = await beth.chat('c1');
    expect(chat).toMatchObject({
      id: 'c1',
      status: 'queued',
      title: 'My laptop will not connect to VPN',
      details: expect.stringContaining('authentication failed'),
      topic: { id: 'network', label: 'Network' },
      user: { id: 'u-1', name: 'Jordan Example', email: 'jordan@example.com' },
      surface: 'teams',
      routing: { language: 'en', region: 'us' },
      history: [
        { from: 'user', text: 'vpn broken' },
        { from: 'bot', text: 'Have you tried restarting the client?' },
      ],
      agents: [],
      messages: [],
    });
  });

  it.each([
    ['GET', '/api/chats/nope'],
    ['POST', '/api/chats/nope/accept'],
    ['GET', '/api/chats/nope/messages'],
    ['POST', '/api/chats/nope/messages'],
    ['POST', '/api/chats/nope/typing'],
    ['POST', '/api/chats/nope/end'],
    ['GET', '/api/nothing-here'],
  ])('%s %s answers 404', async (method, p) => {
    const res = await beth.request(method, p, { body: method === 'POST' ? { text: 'hi' } : undefined });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });

  it('accept answers the live chat; a second agent joins; accepting again changes nothing', async () => {
    await openChat('c1');
    const accepted = await beth.accept('c1');
    expect(accepted).toMatchObject({ id: 'c1', status: 'live', agents: [{ id: 'beth', name: 'Beth Ortiz' }] });
    await beth.accept('c1');
    const both = await sam.accept('c1');
    expect(both.agents.map((a) => a.id)).toEqual(['beth', 'sam']);
    expect(h.events.filter((e) => e.type === 'agentJoined')).toHaveLength(2);
  });

  it('accepting an ended chat is a 409 conflict', async () => {
    await openChat('c1');
    await h.desk.endChat('c1', 'user_cancelled');
    const res = await beth.request('POST', '/api/chats/c1/accept');
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
    expect((await beth.chat('c1')).agents).toEqual([]);
  });

  it('end answers the ended chat and tells the sink; ending again is harmless', async () => {
    await openChat('c1');
    await beth.accept('c1');
    const ended = await beth.end('c1');
    expect(ended).toMatchObject({ status: 'ended', endedReason: 'agent_ended' });
    expect((await beth.request('POST', '/api/chats/c1/end')).status).toBe(200);
    expect(h.events.filter((e) => e.type === 'ended')).toEqual([{ type: 'ended', sessionId: 'c1', reason: 'agent_ended' }]);
  });

  it('only agents in a live chat may end it (403)', async () => {
    await openChat('c1');
    await beth.accept('c1');
    const res = await sam.request('POST', '/api/chats/c1/end');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect((await beth.chat('c1')).status).toBe('live');
  });

  it('typing answers 204 and reaches the sink', async () => {
    await openChat('c1');
    await beth.accept('c1');
    const res = await beth.request('POST', '/api/chats/c1/typing');
    expect(res.status).toBe(204);
    expect(h.events).toContainEqual({ type: 'typing', sessionId: 'c1', agent: { id: 'beth', name: 'Beth Ortiz' }, on: true });
  });
});

describe('posting messages', () => {
  beforeEach(async () => {
    await openChat('c1');
    await beth.accept('c1');
  });

  const stored = async () => (await beth.messages('c1')).filter((m) => m.from !== 'system');

  it('stores the message, answers 201 with it, and relays it attributed to the agent', async () => {
    const res = await beth.request<WireMessage>('POST', '/api/chats/c1/messages', { body: { text: 'Hello Jordan' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.any(String),
      from: 'agent',
      agentId: 'beth',
      agentName: 'Beth Ortiz',
      text: 'Hello Jordan',
      private: false,
    });
    expect(await stored()).toEqual([res.body]);
    expect(h.events).toContainEqual({
      type: 'agentMessage',
      sessionId: 'c1',
      agent: { id: 'beth', name: 'Beth Ortiz' },
      messageId: res.body.id,
      text: 'Hello Jordan',
    });
  });

  it('keeps private notes for agents: listed in messages, never sent to the sink', async () => {
    const res = await beth.request<WireMessage>('POST', '/api/chats/c1/messages', { body: { text: 'Known VPN outage', private: true } });
    expect(res.status).toBe(201);
    expect(res.body.private).toBe(true);
    expect(await sam.messages('c1')).toContainEqual(expect.objectContaining({ text: 'Known VPN outage', private: true }));
    expect(JSON.stringify(h.events)).not.toContain('Known VPN outage');
  });

  it.each<[string, { body?: unknown; rawBody?: string; headers?: Record<string, string> }, RegExp]>([
    ['malformed JSON', { rawBody: '{"text": "hi"' }, /not valid JSON/],
    ['a missing text', { body: { private: false } }, /text: is required/],
    ['text that is not a string', { body: { text: 42 } }, /text: must be a string/],
    ['empty text', { body: { text: '' } }, /text: must not be empty/],
    ['blank text', { body: { text: '  \n ' } }, /text: must not be empty/],
    ['text over 10,000 characters', { body: { text: 'x'.repeat(10_001) } }, /at most 10,000 characters/],
    ['private that is not a boolean', { body: { text: 'hi', private: 'yes' } }, /private: must be true or false/],
    ['an array body', { body: [{ text: 'hi' }] }, /JSON object/],
    [
      'a body that is not JSON',
      { rawBody: 'text=hi', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      /Content-Type: application\/json/,
    ],
  ])('refuses %s with 400 and stores nothing', async (_what, request, message) => {
    const res = await beth.request('POST', '/api/chats/c1/messages', request);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'bad_request', message: expect.stringMatching(message) } });
    expect(await stored()).toEqual([]);
    expect(h.events.filter((e) => e.type === 'agentMessage')).toEqual([]);
  });

  it('accepts exactly 10,000 characters', async () => {
    const res = await beth.request('POST', '/api/chats/c1/messages', { body: { text: 'y'.repeat(10_000) } });
    expect(res.status).toBe(201);
  });

  it('refuses a body over 64 KB with 413', async () => {
    const res = await beth.request('POST', '/api/chats/c1/messages', { rawBody: JSON.stringify({ text: 'z'.repeat(70_000) }) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('bad_request');
    expect(await stored()).toEqual([]);
  });

  it('refuses an agent who has not joined with 403', async () => {
    const res = await sam.request('POST', '/api/chats/c1/messages', { body: { text: 'butting in' } });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: { code: 'forbidden', message: expect.stringMatching(/Accept/) } });
    expect(await stored()).toEqual([]);
  });

  it('refuses posting to a queued chat nobody accepted with 403', async () => {
    await openChat('c2');
    const res = await beth.request('POST', '/api/chats/c2/messages', { body: { text: 'early' } });
    expect(res.status).toBe(403);
    expect((await beth.messages('c2')).length).toBe(0);
  });

  it('refuses posting to an ended chat with 409', async () => {
    await h.desk.endChat('c1', 'user_stopped');
    const res = await beth.request('POST', '/api/chats/c1/messages', { body: { text: 'too late' } });
    expect(res.status).toBe(409);
    expect(JSON.stringify(h.events)).not.toContain('too late');
  });

  it('parses JSON only where a body is expected', async () => {
    await openChat('c3');
    // A broken body on a route that takes none is ignored, not parsed.
    const res = await sam.request('POST', '/api/chats/c3/accept', { rawBody: '{oops' });
    expect(res.status).toBe(200);
  });
});

describe('when the user cannot be reached', () => {
  it('answers 502, keeps the message and marks it undelivered', async () => {
    await h.close();
    h = await startConsoleHarness({
      sink: async (e) => {
        if (e.type === 'agentMessage') throw new Error('Teams said 503');
      },
    });
    beth = h.client(0);
    await openChat('c1');
    await beth.accept('c1');
    const res = await beth.request('POST', '/api/chats/c1/messages', { body: { text: 'Did you get this?' } });
    expect(res.status).toBe(502);
    expect(res.body.error).toEqual({ code: 'surface_send_failed', message: expect.stringMatching(/may not have received/) });
    expect(await beth.messages('c1')).toContainEqual(expect.objectContaining({ text: 'Did you get this?', undelivered: true }));
  });
});

describe('event stream', () => {
  it('streams text/event-stream and counts the agent online while open', async () => {
    expect(await h.desk.checkAvailability()).toEqual({ available: false, agentsOnline: 0 });
    const stream = await beth.events();
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    expect(stream.events[0]).toEqual({ event: 'ready', data: { agent: { id: 'beth', name: 'Beth Ortiz' } } });
    expect(await h.desk.checkAvailability()).toEqual({ available: true, agentsOnline: 1 });

    // A second stream of the same agent (another tab) is still one agent.
    const again = await beth.events();
    expect((await h.desk.checkAvailability()).agentsOnline).toBe(1);
    await again.close();

    await stream.close();
    await waitFor(async () => (await h.desk.checkAvailability()).available === false);
    expect(await h.desk.checkAvailability()).toEqual({ available: false, agentsOnline: 0 });
  });

  it('sends chat and message events, private notes included, and user typing', async () => {
    const stream = await sam.events();
    await openChat('c1');
    await stream.next((e) => e.event === 'chat.created' && e.data.chat.id === 'c1');
    await h.desk.sendMessage('c1', { messageId: 'u1', text: 'hello?', at: Date.now() });
    await stream.next((e) => e.event === 'message.created' && e.data.message.text === 'hello?');
    await h.desk.sendTyping('c1');
    await stream.next((e) => e.event === 'typing' && e.data.chatId === 'c1' && e.data.from === 'user');

    await beth.accept('c1');
    const updated = await stream.next((e) => e.event === 'chat.updated' && e.data.chat.status === 'live');
    expect(updated.data.chat.agents).toEqual([{ id: 'beth', name: 'Beth Ortiz' }]);
    await beth.post('c1', 'internal only', true);
    const note = await stream.next((e) => e.event === 'message.created' && e.data.message.text === 'internal only');
    expect(note.data).toMatchObject({ chatId: 'c1', message: { private: true, agentName: 'Beth Ortiz' } });
    await stream.close();
  });

  it('sends a heartbeat comment every 20 seconds and closes streams on stop', async () => {
    await h.close();
    const clock = new ManualClock(Date.now());
    h = await startConsoleHarness({ clock });
    const stream = await h.client(0).events();
    clock.advance(20_000);
    await waitFor(() => stream.comments.includes('heartbeat'));
    clock.advance(20_000);
    await waitFor(() => stream.comments.filter((c) => c === 'heartbeat').length === 2);

    await h.desk.stop();
    expect((await h.desk.checkAvailability()).available).toBe(false);
    expect(clock.timers).toBe(0);
    await stream.close();
  });
});

describe('the page', () => {
  it('GET /console serves the HTML page', async () => {
    const res = await fetch(`${h.origin}/console`);
    expect(res.status).toBe(200);
    expect(res.url).toBe(`${h.origin}/console/`);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toContain('<title>Agent console</title>');
    expect(html).toContain('console.js');
    // The helpers it shares with the web chat, from the app's /assets (see web-chat.test.ts).
    expect(html).toContain('src="../assets/lab-common.js"');
    expect(html).toContain('href="../assets/lab-common.css"');
  });

  it('serves its script and stylesheet without a token', async () => {
    const js = await fetch(`${h.baseUrl}/console.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    const css = await fetch(`${h.baseUrl}/console.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('never puts text on the page as HTML', () => {
    const pageDir = 'adapters/desks/console/page';
    const scripts = readdirSync(path.join(__dirname, '../../../..', pageDir))
      .filter((f) => f.endsWith('.js'))
      .map((f) => `${pageDir}/${f}`);
    expect(scripts).toContain(`${pageDir}/console.js`);
    for (const file of [...scripts, 'bots/http/assets/lab-common.js']) {
      const source = readFileSync(path.join(__dirname, '../../../..', file), 'utf8');
      expect(source).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    }
  });
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
