/**
 * The whole handoff flow over the wire, on Slack: signed Slack requests POSTed to the real app's
 * /slack/events, Bolt's real Web API client talking to a fake Slack Web API that records every
 * call and serves private files, agents working through the real console HTTP API. Nothing in
 * between is mocked.
 */
import { ManualClock } from '../helpers/console-clock';
import { AGENTS, isOffer } from '../helpers/bridge-harness';
import { eventually } from '../helpers/eventually';
import type { FakeMessage } from '../helpers/fake-slack';
import {
  blockText,
  buttonsOf,
  hasButton,
  postToSlackEndpoint,
  signSlackRequest,
  startSlackHarness,
  statusLineOf,
  type SlackHarness,
  type SlackUser,
} from '../helpers/slack-harness';

const MAX_FILE_BYTES = 64 * 1024;
const richText = (...elements: object[]) => [{ type: 'rich_text', block_id: 'rt', elements: [{ type: 'rich_text_section', elements }] }];

describe('Slack end to end, with the built-in console as the desk', () => {
  let h: SlackHarness;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock(Date.now());
    h = await startSlackHarness({
      clock,
      config: {
        bot: {
          topics: [
            { id: 'hardware', label: 'Hardware' },
            { id: 'access', label: 'Access and accounts' },
          ],
          routing: { domain: 'it' },
          files: { maxBytes: MAX_FILE_BYTES },
        },
      },
    });
  });
  afterEach(() => h.close());

  async function queuedChat(title: string): Promise<string> {
    const chat = await eventually(async () => {
      const found = (await h.beth.chats()).find((c) => c.title === title && c.status === 'queued');
      if (!found) throw new Error(`chat "${title}" not queued yet`);
      return found;
    });
    return chat.id;
  }

  /** Ask, Start, fill the modal: the queued chat's id and the waiting message. */
  async function queueChat(
    user: SlackUser,
    description = 'My laptop will not start after the update',
  ): Promise<{ chatId: string; waiting: FakeMessage; offer: FakeMessage }> {
    const before = h.slack.views.length;
    await user.say('I need to talk to an agent');
    const offer = await user.waitForMessage(hasButton('lab_start_chat'));
    await user.click(offer, 'lab_start_chat');
    const modal = await user.waitForModal(before);
    const answer = await user.submit(modal, { description, topic: 'hardware' });
    expect(answer.status).toBe(200);
    const waiting = await user.waitForMessage(hasButton('lab_cancel'));
    return { chatId: await queuedChat(description.split('\n')[0]), waiting, offer };
  }

  it('brokers the whole chat both ways: offer, modal with inline errors, queue, agent, files both ways, stop chat', async () => {
    const ana = h.slackUser({ name: 'Ana Lima', locale: 'pt-BR', tz: 'America/Sao_Paulo', email: 'ana@acme.example' });

    // 1. A greeting, then a request for a person: the offer, as Block Kit, with the Start button.
    await ana.say('hello');
    await ana.waitForText(/connect you with a live agent/i);
    await ana.say('I need to talk to an agent');
    const offer = await ana.waitForMessage(hasButton('lab_start_chat'));
    expect(buttonsOf(offer)[0]).toMatchObject({ text: { text: 'Start agent chat' }, style: 'primary' });
    expect(offer.text).toMatch(/connect you with a live agent/);

    // 2. Start: the modal opens with the click's trigger; the offer's button is replaced.
    const trigger = await ana.click(offer, 'lab_start_chat');
    const modal = await ana.waitForModal();
    expect(modal.triggerId).toBe(trigger);
    expect(modal.view.blocks.map((b: any) => b.element?.type).filter(Boolean)).toEqual(['plain_text_input', 'static_select']);
    await ana.waitForUpdate(offer);
    expect(buttonsOf(offer)).toEqual([]);
    expect(statusLineOf(offer)).toBe('Agent chat requested');
    const form = await ana.waitForMessage(hasButton('lab_add_details'));

    // 3. Inline validation: nothing reaches the desk until the form is right.
    const invalid = await ana.submit(modal, { description: '   ' });
    expect(invalid).toEqual({
      status: 200,
      json: {
        response_action: 'errors',
        errors: { description: 'Please tell us what you need help with.', topic: 'Please choose a topic.' },
      },
    });
    await h.bridge.broker.idle();
    expect(await h.beth.chats()).toEqual([]);

    const valid = await ana.submit(modal, { description: 'VPN drops every hour\nSince Monday, on Wi-Fi only', topic: 'access' });
    expect(valid).toEqual({ status: 200, json: undefined }); // closes the modal
    await ana.waitForUpdate(form, (m) => statusLineOf(m) === 'Sent (Access and accounts)');
    expect(buttonsOf(form)).toEqual([]);
    const waiting = await ana.waitForMessage(hasButton('lab_cancel'));
    expect(blockText(waiting)).toContain('VPN drops every hour');

    const chatId = await queuedChat('VPN drops every hour');
    const chat = await h.beth.chat(chatId);
    expect(chat).toMatchObject({
      status: 'queued',
      details: 'VPN drops every hour\nSince Monday, on Wi-Fi only',
      topic: { id: 'access', label: 'Access and accounts' },
      user: { id: ana.id, name: 'Ana Lima', email: 'ana@acme.example', locale: 'pt-BR', timeZone: 'America/Sao_Paulo' },
      surface: 'slack',
      routing: { language: 'pt', region: 'BR', domain: 'it' },
    });
    expect((chat.history as { text: string }[]).map((m) => m.text)).toEqual(
      expect.arrayContaining(['hello', 'I need to talk to an agent']),
    );

    // 4. Not blocked while queued: messages wait for the agent, and the user is told once.
    await ana.say('It also happens on the train');
    await ana.waitForText(/agent will see your messages/i);
    await ana.say('and at home');
    await eventually(async () =>
      expect((await h.beth.messages(chatId)).map((m) => m.text)).toEqual(
        expect.arrayContaining(['It also happens on the train', 'and at home']),
      ),
    );
    expect(ana.texts().filter((t) => /agent will see your messages/i.test(t))).toHaveLength(1);

    // 5. Beth accepts: the Cancel button goes, the user sees who joined.
    await h.beth.accept(chatId);
    await ana.waitForUpdate(waiting, (m) => statusLineOf(m) === 'Connected to Beth');
    expect(buttonsOf(waiting)).toEqual([]);
    await ana.waitForText('Beth joined the chat');

    // 6. Agent → user: posted as Beth, markdown turned into mrkdwn.
    await h.beth.post(chatId, 'Hi Ana 🙂 **which** VPN client? See [the guide](https://wiki.acme.example/vpn) & reply');
    const fromBeth = await ana.waitForText('which');
    expect(fromBeth).toMatchObject({
      text: 'Hi Ana 🙂 *which* VPN client? See <https://wiki.acme.example/vpn|the guide> &amp; reply',
      username: 'Beth',
      icon_url: AGENTS.beth.avatarUrl,
    });

    // 7. User → agent: mentions, links, escapes, bold and emoji converted; custom emoji dropped.
    h.slack.addUser({ id: 'U0DANA', name: 'dana', real_name: 'Dana Scully' });
    await ana.say('<@U0DANA> says *5.2* &amp; <https://intranet.acme.example/vpn|this page> :thinking_face: :acme-logo:', {
      blocks: richText(
        { type: 'user', user_id: 'U0DANA' },
        { type: 'text', text: ' says ' },
        { type: 'text', text: '5.2', style: { bold: true } },
        { type: 'text', text: ' & ' },
        { type: 'link', url: 'https://intranet.acme.example/vpn', text: 'this page' },
        { type: 'emoji', name: 'thinking_face', unicode: '1f914' },
        { type: 'emoji', name: 'acme-logo' },
      ),
    });
    await eventually(async () =>
      expect((await h.beth.messages(chatId)).map((m) => m.text)).toContain(
        '@Dana Scully says **5.2** & [this page](https://intranet.acme.example/vpn) 🤔',
      ),
    );

    // 8. Files user → agent: downloaded with the bot token (a stub completed with files.info),
    //    kept by the bridge, and linked for the agent. A file over the limit, or one the token
    //    cannot read (Slack's login page), is refused with a message, and the chat goes on.
    const shot = h.slack.addFile({ id: 'F0SHOT', name: 'screenshot.png', mimetype: 'image/png', bytes: Buffer.from('PNG-BYTES-1') });
    h.slack.addFile({ id: 'F0LOG', name: 'vpn.log', mimetype: 'text/plain', bytes: Buffer.from('error 809\n') });
    await ana.say('screenshot and log attached', { files: [shot, { id: 'F0LOG', file_access: 'check_file_info', mode: 'file_access' }] });
    const withFiles = await eventually(async () => {
      const m = (await h.beth.messages(chatId)).find((x) => x.text === 'screenshot and log attached');
      if (!m?.files || m.files.length < 2) throw new Error('files not relayed yet');
      return m;
    });
    expect(withFiles.files!.map((f) => [f.name, f.contentType])).toEqual([
      ['screenshot.png', 'image/png'],
      ['vpn.log', 'text/plain'],
    ]);
    const served = await fetch(withFiles.files![0].url!);
    expect(Buffer.from(await served.arrayBuffer()).toString()).toBe('PNG-BYTES-1');
    expect(h.slack.callsOf('files.info').map((c) => c.args.file)).toEqual(['F0LOG']);

    const big = h.slack.addFile({ id: 'F0BIG', name: 'dump.zip', mimetype: 'application/zip', bytes: Buffer.alloc(MAX_FILE_BYTES + 1) });
    await ana.say('', { files: [big] });
    await ana.waitForText('"dump.zip" was not sent to the agent: it is larger than 64 KB. The chat goes on.');
    const foreign = h.slack.addFile({
      id: 'F0EXT',
      name: 'secret.pdf',
      mimetype: 'application/pdf',
      bytes: Buffer.from('%PDF'),
      token: 'xoxb-some-other-app',
    });
    await ana.say('one more', { files: [foreign] });
    await ana.waitForText('"secret.pdf" was not sent to the agent: it could not be downloaded. The chat goes on.');
    await eventually(async () => expect((await h.beth.messages(chatId)).map((m) => m.text)).toContain('one more'));

    // 9. Files agent → user: uploaded into the DM with filesUploadV2.
    await h.beth.sendFile(chatId, { name: 'fix.txt', contentType: 'text/plain', bytes: Buffer.from('set mtu 1400') });
    const upload = await h.slack.waitFor(() => h.slack.uploads.find((u) => u.completed && u.channel === ana.channel), 5000, 'upload');
    expect(upload).toMatchObject({ filename: 'fix.txt', initialComment: 'Beth sent a file.' });
    expect(upload.bytes!.toString()).toBe('set mtu 1400');

    // 10. stop chat ends it: the agent sees it ended, the user is told, the bot is back.
    await ana.say('  STOP CHAT ');
    await ana.waitForText(/You ended the chat/);
    await eventually(async () => expect((await h.beth.chat(chatId)).status).toBe('ended'));
    await ana.say('thanks, bye');
    await ana.waitForMessage((m) => m !== offer && hasButton('lab_start_chat')(m));
    expect((await h.beth.messages(chatId)).map((m) => m.text)).not.toContain('thanks, bye');
  });

  it('without a fresh trigger, posts the form with "Add details", whose click opens the modal', async () => {
    const ben = h.slackUser({ name: 'Ben' });
    await ben.say('I need to talk to an agent');
    const offer = await ben.waitForMessage(hasButton('lab_start_chat'));
    // The click's trigger is already 10 s old when it reaches Slack's views.open.
    await ben.click(offer, 'lab_start_chat', { triggerIssuedAt: Date.now() - 10_000 });
    const form = await ben.waitForMessage(hasButton('lab_add_details'));
    expect(h.slack.calls.find((c) => c.method === 'views.open')?.response.error).toBe('expired_trigger_id');
    expect(h.slack.views).toHaveLength(0);

    await ben.click(form, 'lab_add_details');
    const modal = await ben.waitForModal();
    expect(JSON.parse(modal.view.private_metadata)).toMatchObject({ from: 'details', ts: form.ts, channel: ben.channel });
    await ben.submit(modal, { description: 'Printer jams on floor 3', topic: 'hardware' });
    await ben.waitForUpdate(form, (m) => statusLineOf(m) === 'Sent (Hardware)');
    await queuedChat('Printer jams on floor 3');
  });

  it('uses what the user already said as the description, and asks only for the required topic', async () => {
    const cy = h.slackUser();
    const before = h.slack.views.length;
    await cy.say('The printer on floor 3 jams on every page');
    const offer = await cy.waitForMessage(hasButton('lab_start_chat'));
    expect(offer.text).toMatch(/can't help with that/i);
    await cy.click(offer, 'lab_start_chat');
    // Topics are configured (required): the modal asks for the topic only.
    const modal = await cy.waitForModal(before);
    expect(modal.view.blocks.map((b: any) => b.element?.type).filter(Boolean)).toEqual(['static_select']);
    const form = await cy.waitForMessage(hasButton('lab_add_topic'));
    expect(buttonsOf(form)[0]).toMatchObject({ text: { text: 'Choose a topic' } });
    // No topic: an inline error on the topic alone, nothing queued.
    expect(await cy.submit(modal, {})).toEqual({
      status: 200,
      json: { response_action: 'errors', errors: { topic: 'Please choose a topic.' } },
    });
    // Reopened from the message: still the topic-only form.
    await cy.click(form, 'lab_add_topic');
    const reopened = await cy.waitForModal(before + 1);
    expect(reopened.view.blocks.map((b: any) => b.element?.type).filter(Boolean)).toEqual(['static_select']);
    expect((await cy.submit(reopened, { topic: 'access' })).status).toBe(200);
    await cy.waitForUpdate(form, (m) => statusLineOf(m) === 'Sent (Access and accounts)');
    await cy.waitForMessage(hasButton('lab_cancel'));
    const chatId = await queuedChat('The printer on floor 3 jams on every page');
    expect(await h.beth.chat(chatId)).toMatchObject({ details: 'The printer on floor 3 jams on every page', topic: { id: 'access' } });
  });

  it('tells the user when the agent ends the chat, and the next message goes back to the bot', async () => {
    const user = h.slackUser();
    const { chatId } = await queueChat(user);
    await h.beth.accept(chatId);
    await user.waitForText('Beth joined the chat');
    await h.beth.end(chatId);
    await user.waitForText(/agent ended the chat/i);
    await user.say('one more thing');
    await user.waitForMessage((m) => hasButton('lab_start_chat')(m) && /can't help/.test(m.text));
    expect((await h.beth.messages(chatId)).map((m) => m.text)).not.toContain('one more thing');
  });

  it('ends a wait nobody takes after the queue timeout', async () => {
    const user = h.slackUser();
    const { chatId, waiting } = await queueChat(user);
    clock.advance(121_000);
    await user.waitForText(/No agent could take your chat/);
    await user.waitForUpdate(waiting, (m) => statusLineOf(m) === 'No agent was available');
    expect(buttonsOf(waiting)).toEqual([]);
    await eventually(async () => expect(await h.beth.chat(chatId)).toMatchObject({ status: 'ended', endedReason: 'queue_timeout' }));
  });

  it('cancels from the waiting message', async () => {
    const user = h.slackUser();
    const { chatId, waiting } = await queueChat(user);
    await user.click(waiting, 'lab_cancel');
    await user.waitForText(/cancelled/i);
    await user.waitForUpdate(waiting, (m) => statusLineOf(m) === 'Cancelled');
    await eventually(async () => expect((await h.beth.chat(chatId)).status).toBe('ended'));
  });

  describe('deliveries Slack repeats', () => {
    async function liveChat(): Promise<{ user: SlackUser; chatId: string }> {
      const user = h.slackUser();
      const { chatId } = await queueChat(user);
      await h.beth.accept(chatId);
      await user.waitForText('Beth joined the chat');
      return { user, chatId };
    }
    const count = async (chatId: string, text: string) => (await h.beth.messages(chatId)).filter((m) => m.text === text).length;

    it('a retry of the same event (X-Slack-Retry-Num) reaches the agent once', async () => {
      const { user, chatId } = await liveChat();
      const { body } = user.messageEnvelope('only once please');
      await user.postJson(body);
      await user.postJson(body, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
      await user.postJson(body, { headers: { 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_timeout' } });
      await eventually(async () => expect(await count(chatId, 'only once please')).toBe(1));
      await h.bridge.broker.idle();
      expect(await count(chatId, 'only once please')).toBe(1);
    });

    it('a redelivery under a new event_id with the same channel + ts reaches the agent once', async () => {
      const { user, chatId } = await liveChat();
      const first = user.messageEnvelope('same message, new id');
      await user.postJson(first.body);
      const again = user.messageEnvelope('same message, new id', { ts: first.ts });
      expect(again.eventId).not.toBe(first.eventId);
      await user.postJson(again.body);
      await eventually(async () => expect(await count(chatId, 'same message, new id')).toBe(1));
      await h.bridge.broker.idle();
      expect(await count(chatId, 'same message, new id')).toBe(1);
    });

    it('while talking to the bot, a redelivery (retry or new event_id) gets one answer, not two', async () => {
      const user = h.slackUser();
      const first = user.messageEnvelope('I need to talk to an agent');
      await user.postJson(first.body);
      await user.postJson(first.body, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
      await user.postJson(user.messageEnvelope('I need to talk to an agent', { ts: first.ts }).body);
      await user.waitForMessage(hasButton('lab_start_chat'));
      await new Promise((r) => setTimeout(r, 100));
      await h.bridge.broker.idle();
      expect(user.messages().filter(hasButton('lab_start_chat'))).toHaveLength(1);
    });

    it('a retry whose first delivery never arrived is processed, not dropped', async () => {
      const { user, chatId } = await liveChat();
      const { body } = user.messageEnvelope('first try was lost');
      await user.postJson(body, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_error' } });
      await eventually(async () => expect(await count(chatId, 'first try was lost')).toBe(1));
    });
  });

  describe('requests that are not from Slack', () => {
    async function expectNothingRelayed(user: SlackUser) {
      await new Promise((r) => setTimeout(r, 100));
      await h.bridge.broker.idle();
      expect(user.messages()).toEqual([]);
      expect(h.slack.calls.filter((c) => c.method === 'users.info' && c.args.user === user.id)).toEqual([]);
    }

    it('a bad signature gets 401 and nothing runs', async () => {
      const user = h.slackUser();
      const body = JSON.stringify(user.messageEnvelope('I need to talk to an agent').body);
      const forged = await postToSlackEndpoint(h.url, body, 'application/json', { secret: 'not-the-signing-secret' });
      expect(forged.status).toBe(401);
      const missing = await fetch(`${h.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(missing.status).toBe(401);
      // A signature over another body (the request was altered on the way).
      const ts = Math.floor(Date.now() / 1000);
      const altered = await postToSlackEndpoint(h.url, body, 'application/json', {
        timestamp: ts,
        signature: signSlackRequest(`${body} `, ts),
      });
      expect(altered.status).toBe(401);
      await expectNothingRelayed(user);
    });

    it('a stale timestamp (a replay) gets 401 and nothing runs', async () => {
      const user = h.slackUser();
      const body = JSON.stringify(user.messageEnvelope('I need to talk to an agent').body);
      const replay = await postToSlackEndpoint(h.url, body, 'application/json', { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
      expect(replay.status).toBe(401);
      await expectNothingRelayed(user);
    });

    it('a correctly signed timestamp 10 minutes ahead or behind gets 401 and nothing runs; a current one works', async () => {
      const user = h.slackUser();
      const now = Math.floor(Date.now() / 1000);
      for (const timestamp of [now + 10 * 60, now - 10 * 60]) {
        const body = JSON.stringify(user.messageEnvelope('I need to talk to an agent').body);
        const res = await postToSlackEndpoint(h.url, body, 'application/json', { timestamp });
        expect(res.status).toBe(401);
        expect(res.json?.error?.message).toMatch(/within 5 minutes/);
      }
      await expectNothingRelayed(user);
      await user.say('I need to talk to an agent', { post: { timestamp: Math.floor(Date.now() / 1000) + 60 } });
      await eventually(() => expect(user.messages().filter(hasButton('lab_start_chat'))).toHaveLength(1));
    });

    it('malformed JSON, even signed, gets 400 and nothing runs', async () => {
      const user = h.slackUser();
      const res = await postToSlackEndpoint(h.url, '{"type":"event_callback","event":', 'application/json');
      expect(res.status).toBe(400);
      const form = await postToSlackEndpoint(h.url, 'payload=%7Bnot-json', 'application/x-www-form-urlencoded');
      expect(form.status).toBe(400);
      await expectNothingRelayed(user);
    });

    it("answers Slack's URL verification and leaves other routes' bodies alone", async () => {
      const res = await postToSlackEndpoint(
        h.url,
        JSON.stringify({ type: 'url_verification', challenge: 'c-123', token: 't' }),
        'application/json',
      );
      expect(res).toMatchObject({ status: 200, json: { challenge: 'c-123' } });
      // The Teams endpoint still parses its own JSON next to Bolt's raw-body receiver.
      const teams = h.teamsUser();
      await teams.say('hello');
      await teams.waitForText(/connect you with a live agent/i);
    });
  });

  it('a Teams user and a Slack user chatting with two agents at the same time do not cross', async () => {
    const ana = h.teamsUser({ userName: 'Ana (Teams)' });
    const sam = h.slackUser({ name: 'Sam (Slack)' });

    // Both described their problem first; topics are required, so each is asked for the topic only.
    await ana.say('Ana needs a new badge');
    await ana.click(await ana.waitForCard(isOffer), 'startChat');
    await ana.click(await ana.waitForCard((c) => c.inputs.some((i) => i.id === 'topic')), 'submitDetails', { topic: 'access' });
    const a = await queuedChat('Ana needs a new badge');
    const before = h.slack.views.length;
    await sam.say('Sam cannot log in');
    await sam.click(await sam.waitForMessage(hasButton('lab_start_chat')), 'lab_start_chat');
    await sam.submit(await sam.waitForModal(before), { topic: 'access' });
    const s = await queuedChat('Sam cannot log in');
    expect((await h.beth.chat(a)).surface).toBe('teams');
    expect((await h.beth.chat(s)).surface).toBe('slack');

    await h.beth.accept(a);
    await h.carl.accept(s);
    await h.beth.post(a, 'for Ana only');
    await h.carl.post(s, 'for Sam only');
    await ana.say('from Ana');
    await sam.say('from Sam');
    await ana.waitForText('**Beth:** for Ana only');
    expect((await sam.waitForText('for Sam only')).username).toBe('Carl');
    await eventually(async () => {
      expect((await h.beth.messages(a)).map((m) => m.text)).toContain('from Ana');
      expect((await h.carl.messages(s)).map((m) => m.text)).toContain('from Sam');
    });
    expect(ana.texts().join()).not.toContain('for Sam only');
    expect(sam.texts().join()).not.toContain('for Ana only');
    expect((await h.beth.messages(a)).map((m) => m.text)).not.toContain('from Sam');
    expect((await h.carl.messages(s)).map((m) => m.text)).not.toContain('from Ana');
    // Sam's stop ends only Sam's chat.
    await sam.say('stop chat');
    await sam.waitForText(/You ended the chat/);
    await eventually(async () => expect((await h.carl.chat(s)).status).toBe('ended'));
    expect((await h.beth.chat(a)).status).toBe('live');
  });

  describe("in the company's own words (bot.messages.fileRefusedReasons, cards.*)", () => {
    beforeEach(async () => {
      await h.close();
      h = await startSlackHarness({
        clock,
        config: {
          cards: { modalTitle: 'Agent kontaktieren', addDetails: 'Details ergänzen' },
          bot: {
            topics: [{ id: 'hardware', label: 'Hardware' }],
            messages: {
              fileRefused: '{file}: {reason}',
              fileRefusedReasons: {
                externalFile: 'liegt nicht in {platform}',
                storedOutside: 'liegt außerhalb von {platform}',
              },
            },
          },
        },
      });
    });

    it('labels the Slack-only "Add details" step and its modal from cards.*', async () => {
      const ana = h.slackUser();
      await ana.say('I need to talk to an agent');
      await ana.click(await ana.waitForMessage(hasButton('lab_start_chat')), 'lab_start_chat');
      const modal = await ana.waitForModal();
      expect(modal.view.title.text).toBe('Agent kontaktieren');
      const form = await ana.waitForMessage(hasButton('lab_add_details'));
      expect(buttonsOf(form).map((b) => b.text.text)).toEqual(['Details ergänzen']);
    });

    it("words the Slack surface's refusals from the settings", async () => {
      const ana = h.slackUser();
      const { chatId } = await queueChat(ana);
      await h.beth.accept(chatId);
      await ana.waitForText('Beth joined the chat');
      const drive = h.slack.addFile({ id: 'F0GDRIVE', name: 'plan.gdoc', mimetype: 'application/pdf', bytes: Buffer.from('%PDF') });
      await ana.say('', { files: [{ ...drive, is_external: true }] });
      expect((await ana.waitForText('plan.gdoc')).text).toBe('plan.gdoc: liegt nicht in Slack');
      const elsewhere = h.slack.addFile({ id: 'F0ELSE', name: 'notes.pdf', mimetype: 'application/pdf', bytes: Buffer.from('%PDF') });
      await ana.say('', { files: [{ ...elsewhere, url_private_download: 'https://files.example.org/notes.pdf' }] });
      expect((await ana.waitForText('notes.pdf')).text).toBe('notes.pdf: liegt außerhalb von Slack');
    });
  });
});

describe('Slack without chat:write.customize', () => {
  it('attributes agent messages with a name prefix instead', async () => {
    const h = await startSlackHarness({ scopes: ['chat:write', 'im:history', 'im:write', 'users:read'] });
    try {
      const user = h.slackUser();
      await user.say('The VPN is broken');
      await user.click(await user.waitForMessage(hasButton('lab_start_chat')), 'lab_start_chat');
      const chat = await eventually(async () => {
        const c = (await h.beth.chats())[0];
        if (!c) throw new Error('not queued');
        return c;
      });
      await h.beth.accept(chat.id);
      await h.beth.post(chat.id, 'On it');
      const message = await user.waitForText('On it');
      expect(message.text).toBe('*Beth:* On it');
      expect(message.username).toBeUndefined();
    } finally {
      await h.close();
    }
  });
});
