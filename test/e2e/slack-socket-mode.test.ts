/**
 * Socket Mode, for developers without a public URL: with SLACK_APP_TOKEN set, the bridge opens
 * a WebSocket to Slack (here: a local fake found through the fake Web API's
 * apps.connections.open) instead of mounting /slack/events. Same listeners, same flow.
 */
import { eventually } from '../helpers/eventually';
import { startFakeSocketMode, type FakeSocketMode } from '../helpers/fake-slack-socket';
import { hasButton, startSlackHarness, type SlackHarness } from '../helpers/slack-harness';

const APP_TOKEN = 'xapp-1-A0BRIDGE-1234-socketmode';

describe('Slack in Socket Mode', () => {
  let socket: FakeSocketMode;
  let h: SlackHarness;

  beforeEach(async () => {
    socket = await startFakeSocketMode();
    h = await startSlackHarness({
      appToken: APP_TOKEN,
      prepare: (slack) => {
        slack.socketUrl = socket.url;
      },
      // No signing secret: Socket Mode requests come over the authenticated WebSocket.
      slackConfig: { appToken: APP_TOKEN, signingSecret: '' },
      config: { bot: { topics: [{ id: 'hardware', label: 'Hardware' }] } },
    });
    await socket.connected();
  });
  afterEach(async () => {
    await h.close();
    await socket.close();
  });

  it('receives events and interactions over the WebSocket, acknowledging each, and mounts no HTTP endpoint', async () => {
    expect(h.slack.calls.find((c) => c.method === 'apps.connections.open')?.token).toBe(APP_TOKEN);
    const notMounted = await fetch(`${h.url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(notMounted.status).toBe(404);

    const user = h.slackUser();
    const { body } = user.messageEnvelope('I need to talk to an agent');
    await socket.send('events_api', body);
    const offer = await user.waitForMessage(hasButton('lab_start_chat'));

    const click = user.clickPayload(offer, 'lab_start_chat');
    await socket.send('interactive', click);
    const modal = await user.waitForModal();
    expect(modal.triggerId).toBe(click.trigger_id);

    const invalid = await socket.send('interactive', user.submissionPayload(modal, { description: '' }));
    expect(invalid.payload).toMatchObject({
      response_action: 'errors',
      errors: { description: expect.any(String), topic: expect.any(String) },
    });

    await socket.send('interactive', user.submissionPayload(modal, { description: 'Monitor flickers', topic: 'hardware' }));
    const chat = await eventually(async () => {
      const c = (await h.beth.chats()).find((x) => x.title === 'Monitor flickers');
      if (!c) throw new Error('not queued');
      return c;
    });
    await h.beth.accept(chat.id);
    await h.beth.post(chat.id, 'Which model?');
    expect((await user.waitForText('Which model?')).username).toBe('Beth');
  });
});
