/**
 * The web chat over the wire: a user drives the real `/chat/api` of the real app (JSON calls
 * and the SSE stream, as the page does), agents work through the real console API. Nothing in
 * between is mocked.
 */
import { randomUUID } from 'node:crypto';
import { renderAdaptiveCard } from '../../cards/adaptive';
import { signEmbedToken } from '../../bots/web/identity';
import { describeWithRedis, redisUrl } from '../contract/store.redis-env';
import { ManualClock } from '../helpers/console-clock';
import { AGENTS, startBridgeHarness, type BridgeHarness, type SentCard } from '../helpers/bridge-harness';
import { eventually } from '../helpers/eventually';
import { cardActions, cardInputs, hasButton, isDetailsCard, webRequest, WebChatUser } from '../helpers/web-user';

const PNG = Uint8Array.from(
  Buffer.from(
    '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
      '1f15c4890000000d49444154789c6360f8cf00000301010018dd8db00000000049454e44ae426082',
    'hex',
  ),
);
const SECRET = 'web-chat-test-secret-0123456789abcdef';

describe('web chat end to end, with the built-in console as the desk', () => {
  let h: BridgeHarness;
  let clock: ManualClock;
  const users: WebChatUser[] = [];

  const start = async (body?: Record<string, unknown>) => {
    const user = await WebChatUser.start(h.url, body);
    users.push(user);
    return user;
  };

  beforeEach(async () => {
    clock = new ManualClock(Date.now());
    h = await startBridgeHarness({
      clock,
      config: {
        bot: {
          topics: [
            { id: 'hardware', label: 'Hardware' },
            { id: 'access', label: 'Access and accounts' },
          ],
        },
      },
    });
  });
  afterEach(async () => {
    for (const u of users.splice(0)) await u.close();
    await h.close();
  });

  /** Ask, Start, fill the details: the queued chat's id as the console shows it. */
  async function queueChat(user: WebChatUser, description: string) {
    await user.say('I need to talk to an agent');
    const offer = await user.waitForCard(hasButton('startChat'));
    await user.click(offer, 'startChat');
    const details = await user.waitForCard(isDetailsCard);
    await user.click(details, 'submitDetails', { description, topic: 'hardware' });
    const waiting = await user.waitForCard(hasButton('cancel'));
    const chatId = await eventually(async () => {
      const found = (await h.beth.chats()).find((c) => c.title === description && c.status === 'queued');
      if (!found) throw new Error('chat not queued yet');
      return found.id;
    });
    return { chatId, offer, details, waiting };
  }

  it('brokers a whole chat: offer, details, queue, messages and files both ways, reload, stop chat', async () => {
    const ana = await start({ locale: 'fr-CA', timeZone: 'America/Toronto' });
    expect(ana.user.guest).toBe(true);

    // 1. The offer card is an Adaptive Card from the shared templates.
    await ana.say('I need to talk to an agent');
    const offer = await ana.waitForCard(hasButton('startChat'));
    expect(offer.card).toMatchObject({ type: 'AdaptiveCard', version: '1.5' });
    expect(cardActions(offer).map((a) => a.title)).toContain('Start agent chat');
    expect(offer.cardText).toMatch(/connect you with a live agent/);

    // 2. Start: the details form comes, and the offer's button goes (the logged card is updated).
    await ana.click(offer, 'startChat');
    const details = await ana.waitForCard(isDetailsCard);
    expect(
      cardInputs(details)
        .map((i) => i.type)
        .sort(),
    ).toEqual(['Input.ChoiceSet', 'Input.Text']);
    const offerAfter = await ana.waitForUpdate(offer.id, (e) => cardActions(e).length === 0);
    expect(offerAfter.cardText).toMatch(/Agent chat requested/);

    // 3. Details: the chat is queued with who the user is and where they are.
    await ana.click(details, 'submitDetails', { description: 'Laptop fan is very loud', topic: 'hardware' });
    const waiting = await ana.waitForCard(hasButton('cancel'));
    expect(waiting.cardText).toContain('Laptop fan is very loud');
    const chatId = await eventually(async () => {
      const c = (await h.beth.chats()).find((x) => x.title === 'Laptop fan is very loud');
      if (!c) throw new Error('not queued');
      return c.id;
    });
    expect(await h.beth.chat(chatId)).toMatchObject({
      surface: 'web',
      user: { id: ana.id, name: ana.user.name },
      topic: { id: 'hardware' },
      routing: { language: 'fr', region: 'CA' },
    });
    expect((await ana.history()).state).toMatchObject({ phase: 'queued' });

    // 4. Beth accepts: who joined (with her avatar), the waiting card loses Cancel, the hint knows.
    await h.beth.accept(chatId);
    const joined = await ana.waitFor((e) => e.from === 'agent' && JSON.stringify(e.card ?? '').includes('Beth joined the chat'));
    expect(joined.agent).toEqual({ name: 'Beth', avatarUrl: AGENTS.beth.avatarUrl });
    await ana.waitForUpdate(waiting.id, (e) => cardActions(e).length === 0 && /Connected to Beth/.test(e.cardText ?? ''));
    expect((await ana.history()).state).toEqual({ phase: 'live', agents: [{ name: 'Beth', avatarUrl: AGENTS.beth.avatarUrl }] });

    // 5. Messages both ways, attributed.
    await h.beth.post(chatId, 'Hi, does it happen on battery too? 🙂');
    const fromBeth = await ana.waitForText('Hi, does it happen on battery too? 🙂');
    expect(fromBeth).toMatchObject({ from: 'agent', agent: { name: 'Beth' } });
    const sent = await ana.say('Yes, see https://intranet.example/fan');
    expect(sent).toMatchObject({ status: 'accepted', entry: { from: 'user', text: 'Yes, see https://intranet.example/fan' } });
    await eventually(async () =>
      expect((await h.beth.messages(chatId)).map((m) => m.text)).toContain('Yes, see https://intranet.example/fan'),
    );

    // 6. A file from the user: uploaded, then sent with a message; the agent can fetch the bytes.
    const upload = await ana.upload('fan noise.png', 'image/png', PNG);
    expect(upload).toMatchObject({ name: 'fan noise.png', contentType: 'image/png', size: PNG.byteLength });
    const withFile = await ana.say('a photo', { files: [upload.id] });
    expect(withFile.entry.files).toEqual([expect.objectContaining({ name: 'fan noise.png', url: expect.stringMatching(/^\/files\//) })]);
    const agentSees = await eventually(async () => {
      const m = (await h.beth.messages(chatId)).find((x) => x.text === 'a photo');
      if (!m?.files?.[0]?.url) throw new Error('file not relayed yet');
      return m.files[0];
    });
    expect(agentSees).toMatchObject({ name: 'fan noise.png', contentType: 'image/png' });
    expect(Buffer.from(await (await fetch(agentSees.url!)).arrayBuffer())).toEqual(Buffer.from(PNG));
    // The user's own copy shows too (same origin path).
    expect((await fetch(h.url + withFile.entry.files![0].url)).status).toBe(200);

    // 7. A file from the agent reaches the user as a link they can open.
    const guide = new TextEncoder().encode('Step 1: clean the fan.\n');
    const fromAgent = await agentSendsFile(chatId, 'fan-guide.txt', 'text/plain', guide, 'Here is the guide');
    const fileEntry = await ana.waitFor((e) => e.from === 'agent' && (e.files ?? []).some((f) => f.name === 'fan-guide.txt'));
    expect(fileEntry.agent?.name).toBe('Beth');
    const link = fileEntry.files!.find((f) => f.name === 'fan-guide.txt')!;
    expect(Buffer.from(await (await fetch(new URL(link.url, h.url))).arrayBuffer()).toString()).toBe('Step 1: clean the fan.\n');
    expect(fromAgent).toBeDefined();

    // 8. Reload: a new page load gets the whole conversation, cards in their updated state, and
    //    the chat goes on over the new stream.
    const history = await ana.reload();
    const texts = history.entries.map((e) => e.text);
    expect(texts).toEqual(
      expect.arrayContaining([
        'I need to talk to an agent',
        'Hi, does it happen on battery too? 🙂',
        'Yes, see https://intranet.example/fan',
        'a photo',
      ]),
    );
    const loggedOffer = history.entries.find((e) => e.id === offer.id)!;
    expect(cardActions(loggedOffer)).toHaveLength(0);
    expect(cardActions(history.entries.find((e) => e.id === waiting.id)!)).toHaveLength(0);
    expect(history.state.phase).toBe('live');
    const eventsBefore = ana.events().length;
    await h.beth.post(chatId, 'Still there after your reload?');
    await ana.waitForText('Still there after your reload?');
    expect(ana.events().length).toBeGreaterThan(eventsBefore);
    await ana.say('Yes!');
    await eventually(async () => expect((await h.beth.messages(chatId)).map((m) => m.text)).toContain('Yes!'));

    // 9. Typing both ways.
    const agentEvents = await h.beth.events();
    await ana.typing();
    await agentEvents.next((e) => e.event === 'typing' && e.data.from === 'user' && e.data.chatId === chatId);
    await agentEvents.close();
    await h.beth.typing(chatId);
    await eventually(() => expect(ana.events().some((e) => e.event === 'typing')).toBe(true));

    // 10. stop chat ends it on both sides; the next message is the bot's again.
    await ana.say('Stop Chat');
    await ana.waitForText(/You ended the chat/);
    await eventually(async () => expect((await h.beth.chat(chatId)).status).toBe('ended'));
    expect((await ana.history()).state).toEqual({ phase: 'none' });
    await ana.say('thanks');
    await ana.waitForCard((e) => hasButton('startChat')(e) && e.id !== offer.id);
    expect((await h.beth.messages(chatId)).map((m) => m.text)).not.toContain('thanks');
  });

  /** Through the console's file upload when it has one, else straight into the desk's sink. */
  async function agentSendsFile(chatId: string, name: string, contentType: string, bytes: Uint8Array, text: string) {
    const res = await fetch(
      `${h.url}/console/api/chats/${encodeURIComponent(chatId)}/files?name=${encodeURIComponent(name)}&text=${encodeURIComponent(text)}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${AGENTS.beth.token}`, 'content-type': contentType },
        body: Buffer.from(bytes),
      },
    );
    if (res.status !== 404) {
      expect(res.status).toBe(201);
      return res.json();
    }
    const file = await h.bridge.files.put(chatId, { name, contentType }, bytes);
    await h.bridge.broker.onDeskEvent({
      type: 'agentMessage',
      sessionId: chatId,
      agent: { id: 'beth', name: 'Beth', avatarUrl: AGENTS.beth.avatarUrl },
      messageId: `file-${name}`,
      text,
      files: [{ name: file.name, contentType: file.contentType, size: file.size, url: file.url }],
    });
    return file;
  }

  it('sends the web user the same Adaptive Card JSON a Teams user gets', async () => {
    const web = await start();
    const teams = h.teamsUser({ userName: 'Tom' });
    await web.say('I need to talk to an agent');
    await teams.say('I need to talk to an agent');
    const webOffer = await web.waitForCard(hasButton('startChat'));
    const teamsOffer = await teams.waitForCard((c: SentCard) => c.actions.some((a) => (a.data as { lab?: string })?.lab === 'startChat'));
    const offerIdOf = (actions: { data?: unknown }[]) =>
      (actions.find((a) => (a.data as { lab?: string })?.lab === 'startChat')!.data as { offerId: string }).offerId;
    const webOfferId = offerIdOf(cardActions(webOffer));
    const normalize = (card: unknown, offerId: string) => JSON.parse(JSON.stringify(card).split(offerId).join('OFFER'));
    expect(normalize(webOffer.card, webOfferId)).toEqual(normalize(teamsOffer.content, offerIdOf(teamsOffer.actions)));
    // ...and it is exactly what the shared renderer makes of the offer view.
    expect(webOffer.card).toEqual(
      renderAdaptiveCard({
        type: 'offer',
        offerId: webOfferId,
        message: 'I can connect you with a live agent.',
        showButton: true,
        fallback: undefined,
        hiddenReason: undefined,
      }),
    );
  });

  it('relays a retried message (same client id) once, and shows it once', async () => {
    const user = await start();
    const { chatId } = await queueChat(user, 'Printer jams');
    await h.beth.accept(chatId);
    await user.waitFor((e) => /Beth joined/.test(JSON.stringify(e)));
    const first = await user.say('only once please', { id: 'retry-0001' });
    const again = await user.say('only once please', { id: 'retry-0001' });
    expect(first.status).toBe('accepted');
    expect(again.status).toBe('duplicate');
    expect(again.entry.id).toBe(first.entry.id);
    await eventually(async () => expect((await h.beth.messages(chatId)).map((m) => m.text)).toContain('only once please'));
    await h.bridge.broker.idle();
    expect((await h.beth.messages(chatId)).filter((m) => m.text === 'only once please')).toHaveLength(1);
    expect((await user.history()).entries.filter((e) => e.text === 'only once please')).toHaveLength(1);
  });

  it('takes "… is typing" back when the agent writes and whenever the chat ends (user, agent, desk error)', async () => {
    const user = await start();
    const typingEvents = (from: number) =>
      user
        .events()
        .slice(from)
        .filter((e) => e.event === 'typing');
    /** Beth types (the page shows it), then `act`; after `shown` appears the page is told to stop. */
    async function typingThen(chatId: string, act: () => Promise<unknown>, shown: RegExp) {
      const before = user.events().length;
      await h.beth.typing(chatId);
      await eventually(() => expect(typingEvents(before)).toEqual([{ event: 'typing', data: { on: true, agent: 'Beth' } }]));
      const typed = user.events().length;
      await act();
      const line = await user.waitForText(shown);
      await eventually(() => expect(typingEvents(typed)).toEqual([{ event: 'typing', data: { on: false } }]));
      // ...after the line that ended it, so the page never shows typing under it.
      const after = user.events().slice(typed);
      const lineAt = after.findIndex((e) => e.event === 'message' && e.data.entry.id === line.id);
      expect(lineAt).toBeGreaterThanOrEqual(0);
      expect(after.findIndex((e) => e.event === 'typing')).toBeGreaterThan(lineAt);
      return line;
    }
    const liveChat = async (description: string) => {
      const { chatId } = await queueChat(user, description);
      await h.beth.accept(chatId);
      await user.waitFor((e) => e.from === 'agent' && JSON.stringify(e.card ?? e.text ?? '').includes('Beth joined the chat'));
      return chatId;
    };

    // The agent's own message.
    const first = await liveChat('Typing, then a message');
    await typingThen(first, () => h.beth.post(first, 'Here is my answer'), /^Here is my answer$/);
    // The user types stop chat.
    await typingThen(first, () => user.say('stop chat'), /You ended the chat/);
    expect((await user.history()).state).toEqual({ phase: 'none' });
    // The agent ends it.
    const second = await liveChat('Typing, then the agent ends it');
    await typingThen(second, () => h.beth.end(second), /The agent ended the chat/);
    // The desk fails.
    const third = await liveChat('Typing, then the desk fails');
    await typingThen(
      third,
      () => h.bridge.broker.onDeskEvent({ type: 'ended', sessionId: third, reason: 'desk_error' }),
      /could not continue/,
    );
    // Bot lines with nobody typing send no needless "stop" (the second reply comes after any the first would have).
    const quiet = user.events().length;
    const botLines = () =>
      user
        .events()
        .slice(quiet)
        .filter((e) => e.event === 'message' && e.data.entry.from === 'bot').length;
    await user.say('hello');
    await eventually(() => expect(botLines()).toBe(1));
    await user.say('hello');
    await eventually(() => expect(botLines()).toBe(2));
    expect(typingEvents(quiet)).toEqual([]);
  });

  it('cancels from the waiting card', async () => {
    const user = await start();
    const { chatId, waiting } = await queueChat(user, 'Cancel me');
    await user.click(waiting, 'cancel');
    await user.waitForText(/cancelled/i);
    await user.waitForUpdate(waiting.id, (e) => cardActions(e).length === 0 && /Cancelled/.test(e.cardText ?? ''));
    await eventually(async () => expect((await h.beth.chat(chatId)).status).toBe('ended'));
  });

  it('keeps two web users apart', async () => {
    const ana = await start();
    const ben = await start();
    expect(ana.id).not.toBe(ben.id);
    const a = await queueChat(ana, 'Ana needs a badge');
    await h.beth.accept(a.chatId);
    await h.beth.post(a.chatId, 'for Ana only');
    await ana.waitForText('for Ana only');
    await ben.say('hello');
    await ben.waitForText(/connect you with a live agent/i);
    expect(ben.texts().join('\n')).not.toContain('for Ana only');
    expect((await ben.history()).entries.some((e) => e.text === 'for Ana only')).toBe(false);
  });

  it('refuses calls without a valid sign-in, and malformed bodies, with clear errors and no change', async () => {
    const user = await start();
    for (const credential of [null, 'not-a-credential', 'A'.repeat(43)]) {
      const res = await webRequest(h.url, 'POST', '/messages', { credential, body: { id: 'abcdefgh', text: 'I need an agent' } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/Bearer/);
      expect(res.body.error.code).toBe('unauthorized');
    }
    expect((await webRequest(h.url, 'GET', '/history', { credential: 'x'.repeat(43) })).status).toBe(401);
    expect((await webRequest(h.url, 'GET', '/events')).status).toBe(401);

    const bad: [string, string, Parameters<WebChatUser['request']>[2], number, RegExp][] = [
      [
        'POST',
        '/messages',
        { rawBody: '{"id": "abcdefgh", "text":', headers: { 'content-type': 'application/json' } },
        400,
        /not valid JSON/,
      ],
      ['POST', '/messages', { rawBody: 'hello', headers: { 'content-type': 'text/plain' } }, 400, /Send a JSON body/],
      ['POST', '/messages', { body: ['text'] }, 400, /the body must be a JSON object/],
      ['POST', '/messages', { body: { text: 'hi' } }, 400, /id: is required/],
      ['POST', '/messages', { body: { id: 'abc', text: 'hi' } }, 400, /id: must be 8-64 letters/],
      ['POST', '/messages', { body: { id: 'abcdefgh', text: 42 } }, 400, /text: must be a string/],
      ['POST', '/messages', { body: { id: 'abcdefgh', text: '   ' } }, 400, /needs text or a file/],
      ['POST', '/messages', { body: { id: 'abcdefgh', text: 'x'.repeat(10_001) } }, 400, /at most 10,000 characters/],
      ['POST', '/messages', { body: { id: 'abcdefgh', text: 'hi', files: ['nope-nope-nope-nope'] } }, 400, /no upload nope-nope/],
      ['POST', '/actions', { body: { id: 'abcdefgh', messageId: 'm1', data: { lab: 'startChat' } } }, 400, /not a button of this chat/],
      ['POST', '/actions', { body: { id: 'abcdefgh', messageId: 'm1' } }, 400, /data: is required/],
      ['POST', '/actions', { body: { id: 'abcdefgh', messageId: 'm1', data: { lab: 'startChat', offerId: 'o1' } } }, 404, /No card m1/],
      ['POST', '/files', { rawBody: '', headers: { 'content-type': 'image/png' } }, 400, /upload is empty/],
      ['POST', '/session', { body: { token: 123 } }, 400, /token: must be a string/],
      ['POST', '/session', { rawBody: 'token', headers: { 'content-type': 'text/plain' } }, 400, /Send a JSON body/],
      ['GET', '/nothing-here', {}, 404, /No such web chat API endpoint/],
    ];
    for (const [method, path, options, status, message] of bad) {
      const res = await user.request(method, path, options);
      expect({ path, message: String(message), status: res.status }).toEqual({ path, message: String(message), status });
      expect(res.body.error.message).toMatch(message);
    }
    await h.bridge.broker.idle();
    const history = await user.history();
    expect(history.entries).toEqual([]);
    expect(await h.beth.chats()).toEqual([]);
  });

  it('checks uploads against the file limits', async () => {
    await h.close();
    h = await startBridgeHarness({ clock, config: { bot: { files: { maxBytes: 1024, allowedTypes: ['image/*', 'text/plain'] } } } });
    const user = await start();
    const big = await user.request('POST', '/files', {
      rawBody: new Uint8Array(2048),
      headers: { 'content-type': 'image/png', 'x-file-name': 'big.png' },
    });
    expect(big.status).toBe(413);
    expect(big.body.error.message).toMatch(/1\.0 KB at most/);
    const exe = await user.request('POST', '/files', {
      rawBody: new Uint8Array(10),
      headers: { 'content-type': 'application/x-msdownload', 'x-file-name': 'run.exe' },
    });
    expect(exe.status).toBe(422);
    expect(exe.body.error.message).toMatch(/application\/x-msdownload are not accepted/);
    // Outside an agent chat the bot says files only go to agents.
    const ok = await user.upload('note.txt', 'text/plain', new TextEncoder().encode('hi'));
    await user.say('', { files: [ok.id] });
    await user.waitForText(/only pass files on to an agent during an agent chat/);
  });

  it("answers refused uploads in the company's own words (bot.messages.uploads)", async () => {
    await h.close();
    const uploads = {
      typeNotAccepted: '{type} nehmen wir nicht an.',
      tooMany: 'Höchstens {max} pro Stunde.',
      turnedOff: 'Keine Dateien hier.',
    };
    h = await startBridgeHarness({
      clock,
      config: { bot: { files: { maxPerSession: 1, allowedTypes: ['text/plain'] }, messages: { uploads } } },
    });
    const user = await start();
    const exe = await user.request('POST', '/files', {
      rawBody: new Uint8Array(10),
      headers: { 'content-type': 'application/x-msdownload', 'x-file-name': 'run.exe' },
    });
    expect(exe.body.error).toEqual({ code: 'file_rejected', message: 'application/x-msdownload nehmen wir nicht an.' });
    await user.upload('a.txt', 'text/plain', new TextEncoder().encode('a'));
    await user.upload('b.txt', 'text/plain', new TextEncoder().encode('b'));
    const third = await user.request('POST', '/files', { rawBody: new Uint8Array(1), headers: { 'content-type': 'text/plain' } });
    expect(third.status).toBe(429);
    expect(third.body.error.message).toBe('Höchstens 2 pro Stunde.');

    await h.close();
    h = await startBridgeHarness({ clock, config: { bot: { files: { maxPerSession: 0 }, messages: { uploads } } } });
    const off = await (await start()).request('POST', '/files', { rawBody: new Uint8Array(1), headers: { 'content-type': 'text/plain' } });
    expect(off.body.error.message).toBe('Keine Dateien hier.');
  });
});

describe('web chat sign-in with tokens from the embedding site', () => {
  let h: BridgeHarness;
  let clock: ManualClock;
  const now = () => Math.floor(clock.now() / 1000);

  beforeEach(async () => {
    clock = new ManualClock(Date.now());
    h = await startBridgeHarness({ clock, config: { web: { secret: SECRET } } });
  });
  afterEach(() => h.close());

  it('signs a user in with the identity the token vouches for, and the chat carries it to the agent', async () => {
    const token = signEmbedToken(
      { sub: 'e123', name: 'Chloé Martin', email: 'chloe@example.com', locale: 'de-CH', tz: 'Europe/Zurich', exp: now() + 300 },
      SECRET,
    );
    const user = await WebChatUser.start(h.url, { token, locale: 'en-US' });
    try {
      expect(user.user).toEqual({ id: 'e123', name: 'Chloé Martin', guest: false });
      await user.say('My VPN is broken');
      await user.click(await user.waitForCard(hasButton('startChat')), 'startChat');
      const chat = await eventually(async () => {
        const c = (await h.beth.chats()).find((x) => x.title === 'My VPN is broken');
        if (!c) throw new Error('not queued');
        return h.beth.chat(c.id);
      });
      expect(chat).toMatchObject({
        user: { id: 'e123', name: 'Chloé Martin', email: 'chloe@example.com' },
        routing: { language: 'de', region: 'CH' },
      });

      // A new page load with a fresh token is the same user: same conversation.
      const again = await WebChatUser.start(h.url, {
        token: signEmbedToken({ sub: 'e123', name: 'Chloé Martin', exp: now() + 300 }, SECRET),
      });
      expect((await again.history()).entries.map((e) => e.text)).toContain('My VPN is broken');
      await again.close();
    } finally {
      await user.close();
    }
  });

  it('answers 401 to bad, expired, tampered and over-long tokens, and to guests, creating nothing', async () => {
    const good = signEmbedToken({ sub: 'e1', name: 'Eve', exp: now() + 300 }, SECRET);
    const [p, s] = good.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'ceo', name: 'The CEO', exp: now() + 300 })).toString('base64url');
    const cases: [string | undefined, RegExp][] = [
      [undefined, /Sign in first/],
      ['garbage', /malformed/],
      [signEmbedToken({ sub: 'e1', name: 'Eve', exp: now() - 120 }, SECRET), /expired/],
      [signEmbedToken({ sub: 'e1', name: 'Eve', exp: now() + 300 }, 'another-secret-0123456789abcdefghij'), /signature is not valid/],
      [`${forged}.${s}`, /signature is not valid/],
      [`${p}.${s.slice(0, -2)}AA`, /signature is not valid/],
      [signEmbedToken({ sub: 'e1', name: 'Eve', exp: now() + 30 * 24 * 3600 }, SECRET), /lives too long/],
      [signEmbedToken({ sub: 'guest-x', name: 'Eve', exp: now() + 300 }, SECRET), /reserved for guests/],
    ];
    for (const [token, message] of cases) {
      const res = await webRequest(h.url, 'POST', '/session', { body: token === undefined ? {} : { token } });
      expect({ token, status: res.status }).toEqual({ token, status: 401 });
      expect(res.body.error.message).toMatch(message);
      expect(res.body.credential).toBeUndefined();
    }
    // The good one still works; a token expires while a signed-in page keeps its credential.
    expect((await webRequest(h.url, 'POST', '/session', { body: { token: good } })).status).toBe(201);
    expect((await h.bridge.store.keys('conv:web:')).length).toBe(0);
    expect(await h.beth.chats()).toEqual([]);
  });

  it('serves the page with a strict CSP, the renderer bundle, and a landing page linking both roles', async () => {
    const page = await fetch(`${h.url}/chat/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await page.text();
    expect(html).toContain('vendor/adaptivecards.min.js');
    expect((await fetch(`${h.url}/chat`, { redirect: 'manual' })).headers.get('location')).toBe('/chat/');
    const bundle = await fetch(`${h.url}/chat/vendor/adaptivecards.min.js`);
    expect(bundle.status).toBe(200);
    expect(await bundle.text()).toContain('AdaptiveCards');
    for (const f of ['chat.js', 'chat.css']) expect((await fetch(`${h.url}/chat/${f}`)).status).toBe(200);
    // What the chat and the console share: from /assets, same origin (script-src 'self'), not sniffed.
    expect(html).toContain('src="../assets/lab-common.js"');
    expect(html).toContain('href="../assets/lab-common.css"');
    for (const [f, type] of [
      ['lab-common.js', /javascript/],
      ['lab-common.css', /^text\/css/],
    ] as const) {
      const asset = await fetch(`${h.url}/assets/${f}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(type);
      expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
      expect(asset.headers.get('cache-control')).toBe('no-cache');
    }
    expect((await fetch(`${h.url}/assets/missing.js`)).status).toBe(404);
    const landing = await (await fetch(`${h.url}/`)).text();
    expect(landing).toContain('href="/chat"');
    expect(landing).toContain('href="/console"');
    const config = await (await fetch(`${h.url}/chat/api/config`)).json();
    expect(config).toMatchObject({ signIn: 'token', stopPhrase: 'stop chat' });
  });
});

describeWithRedis('web chat across a restart on Redis', () => {
  it('keeps the sign-in, the conversation and the live chat', async () => {
    const config = { store: { redisUrl, namespace: `web-restart-${randomUUID()}` } };
    const first = await startBridgeHarness({ config });
    const ana = await WebChatUser.start(first.url);
    await ana.say('Outlook keeps crashing');
    await ana.click(await ana.waitForCard(hasButton('startChat')), 'startChat');
    await ana.waitForCard(hasButton('cancel'));
    const chatId = await eventually(async () => {
      const c = (await first.beth.chats()).find((x) => x.title === 'Outlook keeps crashing');
      if (!c) throw new Error('not queued');
      return c.id;
    });
    await first.beth.accept(chatId);
    await first.beth.post(chatId, 'before the restart');
    await ana.waitForText('before the restart');
    await ana.close();
    await first.bridge.broker.idle();
    await first.close();

    const second = await startBridgeHarness({ config });
    try {
      const again = await WebChatUser.resume(second.url, ana);
      const history = await again.history();
      expect(history.user.id).toBe(ana.id);
      expect(history.entries.map((e) => e.text)).toEqual(expect.arrayContaining(['Outlook keeps crashing', 'before the restart']));
      expect(history.state.phase).toBe('live');
      await second.beth.post(chatId, 'after the restart');
      await again.waitForText('after the restart');
      await again.say('still here');
      await eventually(async () => expect((await second.beth.messages(chatId)).map((m) => m.text)).toContain('still here'));
      await again.close();
    } finally {
      await second.close();
    }
  });
});
