/**
 * The Slack channel port on the wire: signed Events API requests to the real bridge's
 * /slack/events, Bolt's real Web API client against the fake Slack API. A channel desk stands in
 * as a registration on `bridge.channels.slack` that de-duplicates by the messages' platform ids
 * with the bridge's own store (as a desk does with its marks).
 */
import { randomUUID } from 'node:crypto';
import type { ChannelMessage, ChannelPort } from '../../bots/core/channel-port';
import { BridgeError, ErrorCode } from '../../bots/core/errors';
import { eventually } from '../helpers/eventually';
import { hasButton, postToSlackEndpoint, startSlackHarness, type SlackHarness } from '../helpers/slack-harness';

const AGENTS_CHANNEL = 'C0AGENTS1';
const PRIVATE_CHANNEL = 'G0PRIVATE';
const AGENT = { id: 'UAGENT0001', name: 'beth.agent', real_name: 'Beth Agent' };

interface ChannelSay {
  channel?: string;
  channelType?: 'channel' | 'group';
  threadTs?: string;
  ts?: string;
  eventId?: string;
  user?: string;
  botId?: string;
  subtype?: string;
  files?: Record<string, unknown>[];
}

let seq = 0;
function channelEnvelope(h: SlackHarness, text: string, o: ChannelSay = {}) {
  const ts = o.ts ?? `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;
  const eventId = o.eventId ?? `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
  const event: Record<string, unknown> = {
    type: 'message',
    channel: o.channel ?? AGENTS_CHANNEL,
    channel_type: o.channelType ?? 'channel',
    user: o.user ?? AGENT.id,
    text,
    ts,
    event_ts: ts,
    team: h.slack.teamId,
    client_msg_id: randomUUID(),
    ...(o.threadTs ? { thread_ts: o.threadTs, parent_user_id: h.slack.botUserId } : {}),
    ...(o.botId ? { bot_id: o.botId } : {}),
    ...(o.subtype ? { subtype: o.subtype } : {}),
    ...(o.files ? { files: o.files, subtype: 'file_share', upload: false } : {}),
  };
  return {
    ts,
    eventId,
    body: {
      token: 'legacy-verification-token',
      team_id: h.slack.teamId,
      api_app_id: 'A0BRIDGE',
      event,
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: h.slack.teamId, user_id: h.slack.botUserId, is_bot: true }],
    },
  };
}

async function post(h: SlackHarness, body: object, headers: Record<string, string> = {}) {
  return postToSlackEndpoint(h.url, JSON.stringify(body), 'application/json', { headers });
}

describe('Slack channels: the inbound router and the channel port', () => {
  let h: SlackHarness;
  let port: ChannelPort;
  let heard: ChannelMessage[];
  let failNext: Error | undefined;
  let stop: () => void;

  beforeEach(async () => {
    h = await startSlackHarness();
    h.slack.addUser(AGENT);
    port = h.bridge.channels.slack!;
    heard = [];
    failNext = undefined;
    stop = port.onMessage({
      owns: ({ channel }) => channel === AGENTS_CHANNEL || channel === PRIVATE_CHANNEL,
      accept: async (message) => {
        if (failNext) {
          const err = failNext;
          failNext = undefined;
          throw err;
        }
        // A desk's de-duplication: any of the platform ids seen before drops the message.
        const claims = await Promise.all(message.dedupeKeys.map((k) => h.bridge.store.claim(`test-channel-desk:${k}`, 60_000)));
        if (claims.every(Boolean)) heard.push(message);
      },
    });
  });
  afterEach(async () => {
    stop();
    await h.close();
  });

  it('routes a root post and a thread reply in an owned channel to the registration, translated', async () => {
    const root = channelEnvelope(h, `<@${h.slack.botUserId}> who can take <@${AGENT.id}>'s queue?`);
    expect((await post(h, root.body)).status).toBe(200);
    const reply = channelEnvelope(h, 'on it', { channel: PRIVATE_CHANNEL, channelType: 'group', threadTs: '1732100000.000100' });
    expect((await post(h, reply.body)).status).toBe(200);

    await eventually(() => expect(heard).toHaveLength(2));
    expect(heard[0]).toEqual({
      surface: 'slack',
      channel: AGENTS_CHANNEL,
      thread: root.ts,
      messageId: root.ts,
      author: { id: AGENT.id, name: 'Beth Agent' },
      text: "who can take @Beth Agent's queue?",
      files: [],
      dedupeKeys: [`slack:event:${root.eventId}`, `slack:msg:${AGENTS_CHANNEL}:${root.ts}`],
    });
    expect(heard[1]).toMatchObject({ channel: PRIVATE_CHANNEL, thread: '1732100000.000100', messageId: reply.ts, text: 'on it' });
    // Nothing went to the user pipeline: no conversation, nothing posted anywhere.
    expect(await h.bridge.store.keys('conv:slack:')).toEqual([]);
    expect(h.slack.callsOf('chat.postMessage')).toEqual([]);
  });

  it('completes file stubs with files.info, as for a DM', async () => {
    const file = h.slack.addFile({ id: 'F0LOG0001', name: 'printer.log', mimetype: 'text/plain', bytes: Buffer.from('jam') });
    const stub = { id: file.id, mode: 'hosted', file_access: 'check_file_info' };
    await post(h, channelEnvelope(h, 'the log', { threadTs: '1732100000.000100', files: [stub] }).body);

    await eventually(() => expect(heard).toHaveLength(1));
    expect(heard[0].files).toEqual([
      { name: 'printer.log', contentType: 'text/plain', size: 3, url: file.url_private_download, handle: { id: 'F0LOG0001' } },
    ]);
    expect(h.slack.callsOf('files.info').map((c) => c.args.file)).toEqual(['F0LOG0001']);
  });

  it('leaves alone what no route selects: unowned channels, the bot echo, other bots, edits', async () => {
    const ignored = [
      channelEnvelope(h, 'elsewhere', { channel: 'C0SOMEWHERE' }),
      channelEnvelope(h, 'the bot itself', { user: h.slack.botUserId }),
      channelEnvelope(h, 'another bot', { botId: 'B0OTHER' }),
      channelEnvelope(h, 'edited', { subtype: 'message_changed' }),
    ];
    for (const e of ignored) expect((await post(h, e.body)).status).toBe(200);
    const owned = channelEnvelope(h, 'this one');
    await post(h, owned.body);

    await eventually(() => expect(heard.map((m) => m.text)).toEqual(['this one']));
    expect(await h.bridge.store.keys('conv:slack:')).toEqual([]);
  });

  it('drops retried channel events by their platform ids: the same event_id, and channel + ts under a new one', async () => {
    const first = channelEnvelope(h, 'please take this one');
    expect((await post(h, first.body)).status).toBe(200);
    // Slack's retry: same envelope, retry headers.
    expect((await post(h, first.body, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' })).status).toBe(200);
    // A redelivery under a new event_id (Slack has done it), same channel and ts.
    const again = channelEnvelope(h, 'please take this one', { ts: first.ts });
    expect(again.eventId).not.toBe(first.eventId);
    expect((await post(h, again.body)).status).toBe(200);
    const next = channelEnvelope(h, 'and this one');
    expect((await post(h, next.body)).status).toBe(200);

    await eventually(() => expect(heard.map((m) => m.text)).toEqual(['please take this one', 'and this one']));
  });

  it('answers 5xx when the registration cannot take the message, so Slack retries; the retry lands', async () => {
    failNext = new BridgeError(ErrorCode.StoreUnavailable, 'store down');
    const message = channelEnvelope(h, 'urgent');
    const refused = await post(h, message.body);
    expect(refused.status).toBe(503);
    expect(heard).toEqual([]);

    expect((await post(h, message.body, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_error' })).status).toBe(200);
    await eventually(() => expect(heard.map((m) => m.text)).toEqual(['urgent']));
  });

  it('posts a thread, replies in it and updates the root through the same Web API client', async () => {
    const root = await port.postThread(AGENTS_CHANNEL, { text: '**New chat** from Ana: _printer on fire_' });
    expect(root.channel).toBe(AGENTS_CHANNEL);
    expect(root.thread).toBe(root.message);
    const reply = await port.reply(root, { text: 'History: see [the ticket](https://it.example/INC1)' });
    expect(reply).toMatchObject({ channel: AGENTS_CHANNEL, thread: root.thread });
    expect(reply.message).not.toBe(root.message);
    await port.update(root, { text: '**Claimed** by Beth' });

    const [postRoot, postReply] = h.slack.callsOf('chat.postMessage');
    expect(postRoot.args).toMatchObject({ channel: AGENTS_CHANNEL, text: '*New chat* from Ana: _printer on fire_' });
    expect(postRoot.args.thread_ts).toBeUndefined();
    expect(postRoot.response.ts).toBe(root.message);
    expect(postReply.args).toMatchObject({
      channel: AGENTS_CHANNEL,
      thread_ts: root.thread,
      text: 'History: see <https://it.example/INC1|the ticket>',
    });
    expect(postReply.token).toBe(postRoot.token);
    const [update] = h.slack.callsOf('chat.update');
    expect(update.args).toMatchObject({ channel: AGENTS_CHANNEL, ts: root.message, text: '*Claimed* by Beth' });
    expect(h.slack.messages.find((m) => m.ts === root.message)?.text).toBe('*Claimed* by Beth');
  });

  it('turns a platform refusal into a typed error', async () => {
    h.slack.failNext('chat.postMessage', 1, { error: 'not_in_channel' });
    await expect(port.postThread(AGENTS_CHANNEL, { text: 'hello' })).rejects.toMatchObject({
      code: ErrorCode.SurfaceSendFailed,
      details: { error: 'not_in_channel' },
    });
  });

  it('still hands DMs to the user pipeline, and a thread reply routed meanwhile does not disturb it', async () => {
    const ana = h.slackUser({ name: 'Ana Lima' });
    await ana.say('I need to talk to an agent');
    await post(h, channelEnvelope(h, 'agents chatting', { threadTs: '1732100000.000100' }).body);
    await ana.waitForMessage(hasButton('lab_start_chat'));
    await eventually(() => expect(heard.map((m) => m.text)).toEqual(['agents chatting']));
    expect(await h.bridge.store.keys('conv:slack:')).toEqual([`conv:slack:${ana.id}`]);
  });
});
