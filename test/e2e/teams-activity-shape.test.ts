/**
 * The Teams door refuses activities it could neither answer nor file under a real user: no
 * sender, no conversation, no service URL, a message with no id. Each is posted through the real
 * app and must get a 400 naming what is missing, leave nothing in the store and send nothing.
 */
import { messageActivity, postActivity, typingActivity } from '../helpers/bf-activity';
import { isOffer, startBridgeHarness, type BridgeHarness } from '../helpers/bridge-harness';

describe('Teams: activities without sender, conversation or service URL', () => {
  let h: BridgeHarness;

  beforeEach(async () => {
    h = await startBridgeHarness();
  });
  afterEach(() => h.close());

  function without(activity: Record<string, unknown>, change: (a: Record<string, any>) => void): Record<string, unknown> {
    const copy = JSON.parse(JSON.stringify(activity)) as Record<string, any>;
    change(copy);
    return copy;
  }

  it('answers 400 naming every missing field, stores nothing and sends nothing', async () => {
    const user = h.teamsUser();
    const message = messageActivity(user.chat, 'I need to talk to an agent');
    const cases: { name: string; activity: Record<string, unknown>; expect: RegExp[] }[] = [
      { name: 'no from', activity: without(message, (a) => delete a.from), expect: [/"from\.id" \(who sent the activity\)/] },
      { name: 'empty from.id', activity: without(message, (a) => (a.from.id = '')), expect: [/"from\.id"/] },
      { name: 'no conversation', activity: without(message, (a) => delete a.conversation), expect: [/"conversation\.id"/] },
      { name: 'empty conversation.id', activity: without(message, (a) => (a.conversation.id = ' ')), expect: [/"conversation\.id"/] },
      { name: 'no serviceUrl', activity: without(message, (a) => delete a.serviceUrl), expect: [/"serviceUrl" \(where replies go\)/] },
      {
        name: 'a serviceUrl that is not http(s)',
        activity: without(message, (a) => (a.serviceUrl = 'file:///etc/passwd')),
        expect: [/"serviceUrl"/],
      },
      { name: 'a message without id', activity: without(message, (a) => delete a.id), expect: [/"id" \(the message's activity id\)/] },
      { name: 'no channelId', activity: without(message, (a) => delete a.channelId), expect: [/"channelId"/] },
      { name: 'typing with no sender', activity: without(typingActivity(user.chat), (a) => delete a.from), expect: [/"from\.id"/] },
      {
        name: 'everything missing at once',
        activity: { type: 'message', text: 'hi' },
        expect: [/"from\.id"/, /"conversation\.id"/, /"serviceUrl"/, /"id"/, /"channelId"/],
      },
    ];
    for (const c of cases) {
      const res = await postActivity(h.url, c.activity);
      expect({ name: c.name, status: res.status }).toEqual({ name: c.name, status: 400 });
      const body = JSON.parse(res.body) as { error: string; message: string; problems: string[] };
      expect(body.error).toBe('bad_request');
      for (const pattern of c.expect) expect(body.message).toMatch(pattern);
    }
    await h.bridge.broker.idle();
    expect(await h.bridge.store.keys('conv:teams:')).toEqual([]);
    expect(h.connector.requests).toEqual([]);

    // The same chat, well formed, is taken as before.
    await user.say('I need to talk to an agent');
    await user.waitForCard(isOffer);
    expect((await h.bridge.store.keys('conv:teams:')).length).toBe(1);
  });

  it('still takes activities the bot does not act on, when they are complete', async () => {
    const user = h.teamsUser();
    const reaction = { ...typingActivity(user.chat), type: 'messageReaction', reactionsAdded: [{ type: 'like' }], replyToId: '1' };
    expect((await postActivity(h.url, reaction)).status).toBe(200);
  });
});
