/** The pure translations of channel messages, Slack and Teams, on payloads as the platforms send them. */
import { channelMessageFrom as slackChannelMessage, channelPlace, isChannelMessage } from '../../bots/slack/channel-inbound';
import { channelMessageFrom as teamsChannelMessage, channelPlaceOf, isChannelActivity } from '../../bots/teams/channel-inbound';

describe('Slack channel messages', () => {
  const base = { type: 'message', channel: 'C1', channel_type: 'channel', user: 'U1', text: 'hi', ts: '1.000200' };

  it.each([
    ['a public channel post', base, true],
    ['a private channel reply', { ...base, channel_type: 'group', thread_ts: '1.000100' }, true],
    ['a broadcast reply', { ...base, subtype: 'thread_broadcast', thread_ts: '1.000100' }, true],
    ['a DM', { ...base, channel_type: 'im' }, false],
    ['the bot itself', { ...base, user: 'UBOT' }, false],
    ['another bot', { ...base, bot_id: 'B1' }, false],
    ['an edit', { ...base, subtype: 'message_changed' }, false],
    ['a join', { ...base, subtype: 'channel_join' }, false],
  ])('%s: %s', (_name, event, expected) => {
    expect(isChannelMessage(event, 'UBOT')).toBe(expected);
  });

  it('names the thread by its root: thread_ts for a reply, its own ts for a root post', () => {
    expect(channelPlace({ ...base, thread_ts: '1.000100' })).toEqual({ channel: 'C1', thread: '1.000100' });
    expect(channelPlace(base)).toEqual({ channel: 'C1', thread: '1.000200' });
  });

  it("drops the bot's mention and renders the rest as Markdown", () => {
    const message = slackChannelMessage(
      { event_id: 'Ev1', event: { ...base, text: '<@UBOT> ask <@U2> about *this* &amp; <https://x.example|that>' } },
      { authorName: 'Beth', botUserId: 'UBOT', userName: (id) => (id === 'U2' ? 'Carl' : undefined) },
    );
    expect(message).toMatchObject({ text: 'ask @Carl about **this** & [that](https://x.example)', author: { id: 'U1', name: 'Beth' } });
    expect(message.dedupeKeys).toEqual(['slack:event:Ev1', 'slack:msg:C1:1.000200']);
  });
});

describe('Teams channel activities', () => {
  const channel = '19:abc@thread.tacv2';
  const activity = {
    type: 'message',
    id: '1718000000002',
    conversation: { id: `${channel};messageid=1718000000001`, conversationType: 'channel', isGroup: true },
    channelData: { channel: { id: channel } },
    recipient: { id: '28:bot' },
    from: { id: '29:beth', name: 'Beth', aadObjectId: 'aad-beth' },
    text: '<at>Bot</at> on it',
    entities: [{ type: 'mention', text: '<at>Bot</at>', mentioned: { id: '28:bot' } }],
  };

  it('is a channel message only in a channel conversation', () => {
    expect(isChannelActivity(activity as never)).toBe(true);
    expect(isChannelActivity({ ...activity, conversation: { id: 'a:1', conversationType: 'personal' } } as never)).toBe(false);
    expect(isChannelActivity({ ...activity, type: 'typing' } as never)).toBe(false);
  });

  it('names the thread by the ;messageid= of its conversation, a root without one by its own id', () => {
    expect(channelPlaceOf(activity as never)).toEqual({ channel, thread: '1718000000001' });
    const root = { ...activity, conversation: { id: channel, conversationType: 'channel' }, channelData: {} };
    expect(channelPlaceOf(root as never)).toEqual({ channel, thread: '1718000000002' });
  });

  it("drops the bot's mention; the author is the stable AAD id", () => {
    expect(teamsChannelMessage(activity as never)).toMatchObject({
      text: 'on it',
      author: { id: 'aad-beth', name: 'Beth' },
      messageId: '1718000000002',
      dedupeKeys: [`teams:${channel};messageid=1718000000001:1718000000002`],
    });
  });
});
