/**
 * The whole handoff flow over the wire: Bot Framework activities POSTed to the real app's
 * /api/messages, replies recorded by a fake Bot Connector, agents working through the real
 * console HTTP API. Nothing in between is mocked.
 */
import { ManualClock } from '../helpers/console-clock';
import {
  AGENTS,
  cardFrom,
  isDetails,
  isOffer,
  isWaiting,
  startBridgeHarness,
  type BridgeHarness,
  type SentCard,
  type TeamsUser,
} from '../helpers/bridge-harness';
import { eventually } from '../helpers/eventually';

describe('Teams end to end, with the built-in console as the desk', () => {
  let h: BridgeHarness;
  let clock: ManualClock;

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
          routing: { domain: 'it' },
        },
      },
    });
  });
  afterEach(() => h.close());

  /** Ask, Start, fill the details: returns the queued chat's id as the console shows it. */
  async function queueChat(
    user: TeamsUser,
    description = 'My laptop will not start after the update',
  ): Promise<{ chatId: string; waiting: SentCard; offer: SentCard }> {
    await user.say('I need to talk to an agent');
    const offer = await user.waitForCard(isOffer);
    await user.click(offer, 'startChat');
    const details = await user.waitForCard(isDetails);
    await user.click(details, 'submitDetails', { description, topic: 'hardware' });
    const waiting = await user.waitForCard(isWaiting);
    const chat = await eventually(async () => {
      const found = (await h.beth.chats()).find((c) => c.title === description.split('\n')[0] && c.status === 'queued');
      if (!found) throw new Error('chat not queued yet');
      return found;
    });
    return { chatId: chat.id, waiting, offer };
  }

  it('brokers the whole chat both ways: offer, details, queue, two agents, private notes, stop chat', async () => {
    const ana = h.teamsUser({ userName: 'Ana Lima', locale: 'fr-CA', localTimezone: 'America/Toronto' });

    // 1. Something the bot cannot help with, then a request for a person.
    await ana.say('hello');
    await ana.waitForText(/connect you with a live agent/i);
    await ana.say('I need to talk to an agent');
    const offer = await ana.waitForCard(isOffer);
    expect(offer.content.version).toBe('1.5');
    expect(offer.actions.map((a) => a.title)).toContain('Start agent chat');

    // 2. Start: no description yet, so the details form comes, and the offer's button goes.
    await ana.click(offer, 'startChat');
    const offerUpdate = await ana.waitForUpdate(offer.activityId);
    expect(offerUpdate.actions).toHaveLength(0);
    const details = await ana.waitForCard(isDetails);
    expect(details.inputs.map((i) => i.type).sort()).toEqual(['Input.ChoiceSet', 'Input.Text']);

    // 3. Submit the details: the chat is queued with everything the agent needs.
    await ana.click(details, 'submitDetails', { description: 'VPN drops every hour\nSince Monday, on Wi-Fi only', topic: 'access' });
    const detailsUpdate = await ana.waitForUpdate(details.activityId);
    expect(detailsUpdate.actions).toHaveLength(0);
    expect(detailsUpdate.inputs).toHaveLength(0);
    const waiting = await ana.waitForCard(isWaiting);
    expect(waiting.text).toContain('VPN drops every hour');

    const queued = await eventually(async () => {
      const c = (await h.beth.chats()).find((x) => x.title === 'VPN drops every hour');
      if (!c) throw new Error('not queued');
      return c;
    });
    const chat = await h.beth.chat(queued.id);
    expect(chat).toMatchObject({
      status: 'queued',
      title: 'VPN drops every hour',
      details: 'VPN drops every hour\nSince Monday, on Wi-Fi only',
      topic: { id: 'access', label: 'Access and accounts' },
      user: { id: ana.id, name: 'Ana Lima' },
      surface: 'teams',
      routing: { language: 'fr', region: 'CA', domain: 'it' },
    });
    const history = chat.history as { from: string; text: string }[];
    expect(history.length).toBeLessThanOrEqual(6);
    expect(history.map((m) => m.text)).toEqual(expect.arrayContaining(['hello', 'I need to talk to an agent']));
    expect(history.some((m) => m.from === 'bot')).toBe(true);

    // 4. While queued the user is not blocked: messages wait for the agent, said once.
    await ana.say('It also happens on the train');
    await ana.waitForText(/agent will see your messages/i);
    await ana.say('and at home');
    await eventually(async () =>
      expect((await h.beth.messages(queued.id)).map((m) => m.text)).toEqual(
        expect.arrayContaining(['It also happens on the train', 'and at home']),
      ),
    );
    expect(ana.texts().filter((t) => /agent will see your messages/i.test(t))).toHaveLength(1);

    // 5. Beth accepts: the user sees who joined, and the Cancel button goes.
    await h.beth.accept(queued.id);
    const joined = await ana.waitForCard((c) => c.text.includes('Beth joined the chat'));
    expect(JSON.stringify(joined.content)).toContain(AGENTS.beth.avatarUrl);
    const waitingUpdate = await ana.waitForUpdate(waiting.activityId);
    expect(waitingUpdate.actions).toHaveLength(0);
    expect(waitingUpdate.text).toMatch(/Connected to Beth/);

    // 6. Both ways, attributed.
    await h.beth.post(queued.id, 'Hi Ana, which VPN client version do you run? 🙂');
    expect(await ana.waitForText('**Beth:** Hi Ana, which VPN client version do you run? 🙂')).toBeTruthy();
    await ana.say('5.2, see https://intranet.example/vpn');
    await eventually(async () =>
      expect((await h.beth.messages(queued.id)).map((m) => m.text)).toContain('5.2, see https://intranet.example/vpn'),
    );

    // 7. A second agent joins; each is attributed; private notes stay between agents.
    await h.carl.accept(queued.id);
    await ana.waitForText('Carl joined the chat');
    await h.carl.post(queued.id, 'Beth, this is the known 5.2 bug', true);
    await h.carl.post(queued.id, 'Hi Ana, Carl here. Please update to 5.3.');
    await ana.waitForText('**Carl:** Hi Ana, Carl here. Please update to 5.3.');
    expect(ana.texts().join('\n')).not.toContain('known 5.2 bug');

    // 8. stop chat ends it: the agents see it ended, the user is told, the bot is back.
    await ana.say('  STOP CHAT ');
    await ana.waitForText(/You ended the chat/);
    // The waiting card above no longer says "Connected to Beth".
    await ana.waitForUpdate(waiting.activityId, (c) => /Chat ended/.test(c.text) && !/Connected to/.test(c.text));
    await eventually(async () => expect((await h.beth.chat(queued.id)).status).toBe('ended'));
    await ana.say('thanks, bye');
    await ana.waitForCard((c) => isOffer(c) && c.activityId !== offer.activityId);
    const messages = await h.beth.messages(queued.id);
    expect(messages.map((m) => m.text)).not.toContain('thanks, bye');
    expect(messages.filter((m) => m.text === 'It also happens on the train')).toHaveLength(1);
  });

  it('uses what the user already said as the description, and asks only for the required topic', async () => {
    const ben = h.teamsUser({ userName: 'Ben' });
    await ben.say('The printer on floor 3 jams on every page');
    const offer = await ben.waitForCard(isOffer);
    expect(offer.text).toMatch(/can't help with that/i);
    await ben.click(offer, 'startChat');
    // Topics are configured (required): a form with the topic only, the description is known.
    const form = await ben.waitForCard((c) => c.inputs.some((i) => i.id === 'topic'));
    expect(form.inputs).toEqual([{ type: 'Input.ChoiceSet', id: 'topic' }]);
    expect(form.text).toMatch(/Which topic/);
    await ben.click(form, 'submitDetails', { topic: 'hardware' });
    const sent = await ben.waitForUpdate(form.activityId);
    expect(sent.inputs).toHaveLength(0);
    expect(sent.text).toContain('Sent (Hardware)');
    const waiting = await ben.waitForCard(isWaiting);
    expect(waiting.text).toContain('The printer on floor 3 jams on every page');
    expect(
      ben
        .sent()
        .map((r) => r.body)
        .some((b) => JSON.stringify(b).includes('"id":"description"')),
    ).toBe(false);
    const chat = await eventually(async () => {
      const found = (await h.beth.chats()).find((c) => c.title === 'The printer on floor 3 jams on every page');
      if (!found) throw new Error('not queued yet');
      return found;
    });
    expect(await h.beth.chat(chat.id)).toMatchObject({
      details: 'The printer on floor 3 jams on every page',
      topic: { id: 'hardware', label: 'Hardware' },
    });
  });

  it('tells the user when the agent ends the chat, and the next message goes back to the bot', async () => {
    const user = h.teamsUser();
    const { chatId, waiting } = await queueChat(user);
    await h.beth.accept(chatId);
    await user.waitForCard((c) => c.text.includes('Beth joined'));
    await h.beth.end(chatId);
    await user.waitForText(/agent ended the chat/i);
    await user.waitForUpdate(waiting.activityId, (c) => /Chat ended by the agent/.test(c.text));
    await user.say('one more thing');
    await user.waitForCard((c) => isOffer(c) && c.text.includes("can't help"));
    expect((await h.beth.messages(chatId)).map((m) => m.text)).not.toContain('one more thing');
  });

  it('says the request was closed without a chat when an agent closes it before anyone accepted', async () => {
    const user = h.teamsUser();
    const { chatId, waiting } = await queueChat(user);
    await h.beth.end(chatId);
    await user.waitForText(/closed before an agent joined/);
    await user.waitForUpdate(waiting.activityId, (c) => /Closed without a chat/.test(c.text) && c.actions.length === 0);
    await h.bridge.broker.idle();
    expect(user.texts().join('\n')).not.toMatch(/agent ended the chat/i);
  });

  it('retires every earlier card: two offers, asking again while the form is open, a stale Start, then the chat', async () => {
    const user = h.teamsUser();
    await user.say('I need to talk to an agent');
    const first = await user.waitForCard(isOffer);
    await user.say('agent');
    const second = await user.waitForCard((c) => isOffer(c) && c.activityId !== first.activityId);

    // Start on the second offer: both offers lose their button; the form comes.
    await user.click(second, 'startChat');
    const details = await user.waitForCard(isDetails);
    for (const offer of [first, second]) {
      const updated = await user.waitForUpdate(offer.activityId);
      expect(updated.actions).toHaveLength(0);
      expect(updated.text).toContain('Agent chat requested');
    }

    // Asking again while the form is open points to it: no third offer card.
    await user.say('talk to an agent');
    await user.waitForText('Please fill in the form above to start the chat.');
    // An old client still shows the first Start button and presses it.
    await user.click(first, 'startChat');
    await eventually(() => expect(user.texts().filter((t) => t === 'Please fill in the form above to start the chat.')).toHaveLength(2));

    await user.click(details, 'submitDetails', { description: 'Badge reader rejects my card', topic: 'access' });
    const waiting = await user.waitForCard(isWaiting);
    expect((await user.waitForUpdate(details.activityId)).inputs).toHaveLength(0);
    await user.click(second, 'startChat');
    await user.waitForText(/already have an agent chat open/i);
    await h.bridge.broker.idle();

    const offers = user.sent().filter((r) => {
      const c = cardFrom(r);
      return c !== undefined && isOffer(c);
    });
    expect(offers).toHaveLength(2);
    // The last update of every offer card shows no button.
    for (const offer of [first, second]) {
      const puts = user.connector.requests.filter((r) => r.method === 'PUT' && r.activityId === offer.activityId);
      expect(cardFrom(puts[puts.length - 1], offer.activityId)!.actions).toHaveLength(0);
    }
    const chats = (await h.beth.chats()).filter((c) => c.status === 'queued');
    expect(chats).toHaveLength(1);
    expect(waiting.text).toContain('Badge reader rejects my card');
  });

  it('refuses a 900 KB message: not relayed, not stored, the user told', async () => {
    const user = h.teamsUser();
    const huge = 'A'.repeat(900 * 1024);
    // As the Agents Playground sent it: the text alone (with its HTML copy it would pass the 1 MB body limit).
    const sayHuge = () => user.say(huge, { attachments: [] });
    const storedChars = async () => {
      let n = 0;
      for (const key of await h.bridge.store.keys('')) {
        try {
          n += JSON.stringify((await h.bridge.store.get(key)) ?? '').length;
        } catch {
          n += JSON.stringify(await h.bridge.store.list(key)).length;
        }
      }
      return n;
    };
    await sayHuge();
    await user.waitForText(/not sent: it is longer than 10,000 characters/);
    await h.bridge.broker.idle();
    expect(await storedChars()).toBeLessThan(50_000);
    expect(user.sent().some((r) => (r.body.attachments as unknown[] | undefined)?.length)).toBe(false); // no offer for it

    const { chatId } = await queueChat(user);
    await h.beth.accept(chatId);
    await user.waitForCard((c) => c.text.includes('Beth joined'));
    await sayHuge();
    await eventually(() => expect(user.texts().filter((t) => /longer than 10,000 characters/.test(t))).toHaveLength(2));
    await user.say('still here');
    await eventually(async () => expect((await h.beth.messages(chatId)).map((m) => m.text)).toContain('still here'));
    expect((await h.beth.messages(chatId)).some((m) => m.text.length > 10_000)).toBe(false);
    expect(await storedChars()).toBeLessThan(50_000);
  });

  it('ends a wait nobody takes after the queue timeout, and tells the desk', async () => {
    const user = h.teamsUser();
    const { chatId, waiting } = await queueChat(user);
    clock.advance(119_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(user.texts().join('\n')).not.toMatch(/No agent could take/);
    clock.advance(2_000);
    await user.waitForText(/No agent could take your chat/);
    const update = await user.waitForUpdate(waiting.activityId, (c) => c.actions.length === 0);
    expect(update.text).toMatch(/No agent was available/);
    await eventually(async () => expect(await h.beth.chat(chatId)).toMatchObject({ status: 'ended', endedReason: 'queue_timeout' }));
    // An agent who accepts too late gets a conflict, and the user hears nothing more.
    await expect(h.beth.accept(chatId)).rejects.toMatchObject({ status: 409 });
  });

  it('cancels from the waiting card', async () => {
    const user = h.teamsUser();
    const { chatId, waiting } = await queueChat(user);
    await user.click(waiting, 'cancel');
    await user.waitForText(/cancelled/i);
    await user.waitForUpdate(waiting.activityId, (c) => /Cancelled/.test(c.text) && c.actions.length === 0);
    await eventually(async () => expect((await h.beth.chat(chatId)).status).toBe('ended'));
  });

  it('says so when Start is pressed while a chat is open, instead of queueing twice', async () => {
    const user = h.teamsUser();
    const { offer } = await queueChat(user);
    // A client that still shows the old button (or a replayed click) presses Start again.
    await user.click(offer, 'startChat');
    await user.waitForText(/already have an agent chat open/i);
    const chats = (await h.beth.chats()).filter((c) => c.status === 'queued');
    expect(chats).toHaveLength(1);
  });

  it('keeps two users and two agents apart', async () => {
    const ana = h.teamsUser({ userName: 'Ana' });
    const ben = h.teamsUser({ userName: 'Ben' });
    const a = await queueChat(ana, 'Ana needs a new badge');
    const b = await queueChat(ben, 'Ben cannot log in');
    await h.beth.accept(a.chatId);
    await h.carl.accept(b.chatId);
    await h.beth.post(a.chatId, 'for Ana only');
    await h.carl.post(b.chatId, 'for Ben only');
    await ana.say('from Ana');
    await ben.say('from Ben');
    await ana.waitForText('**Beth:** for Ana only');
    await ben.waitForText('**Carl:** for Ben only');
    await eventually(async () => {
      expect((await h.beth.messages(a.chatId)).map((m) => m.text)).toContain('from Ana');
      expect((await h.carl.messages(b.chatId)).map((m) => m.text)).toContain('from Ben');
    });
    expect(ana.texts().join()).not.toContain('for Ben only');
    expect(ben.texts().join()).not.toContain('for Ana only');
    expect((await h.beth.messages(a.chatId)).map((m) => m.text)).not.toContain('from Ben');
  });

  it('relays a Teams retry of the same activity once', async () => {
    const user = h.teamsUser();
    const { chatId } = await queueChat(user);
    await h.beth.accept(chatId);
    await user.waitForCard((c) => c.text.includes('Beth joined'));
    const { messageActivity } = await import('../helpers/bf-activity');
    const activity = messageActivity(user.chat, 'only once please');
    await user.post(activity);
    await user.post(activity);
    await user.post(activity);
    await eventually(async () => expect((await h.beth.messages(chatId)).map((m) => m.text)).toContain('only once please'));
    await h.bridge.broker.idle();
    expect((await h.beth.messages(chatId)).filter((m) => m.text === 'only once please')).toHaveLength(1);
  });
});
