import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Activity } from 'botbuilder';
import { activityToUserEvent } from '../../../bots/teams/inbound';
import { findEmoji, htmlToText } from '../../../bots/teams/html';

const fixture = (name: string): Partial<Activity> =>
  JSON.parse(readFileSync(join(__dirname, '../../fixtures/teams', `${name}.json`), 'utf8'));

const CONVERSATION = 'a:1Xy2ZabCdeFghIjkLmnOpqRstUvwXyz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz';
const AAD = '6f1c2b7e-3d4a-4e5f-8a9b-0c1d2e3f4a5b';

describe('activityToUserEvent', () => {
  it('turns a text message into a message event with the user and their address', () => {
    const event = activityToUserEvent(fixture('message-text'));
    expect(event).toEqual({
      type: 'message',
      messageId: '1732097702123',
      text: 'I need to talk to an agent about my invoice',
      dedupeKeys: [`teams:${CONVERSATION}:1732097702123`],
      user: {
        surface: 'teams',
        profile: { id: AAD, name: 'Ana Lima', locale: 'en-US', timeZone: 'America/Los_Angeles' },
        // Only what a proactive send needs: no activity id (the address would change with
        // every message), no names or locale (the profile has them).
        address: {
          serviceUrl: 'https://smba.trafficmanager.net/amer/',
          channelId: 'msteams',
          conversation: { id: CONVERSATION, tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47' },
          bot: { id: '28:2f1e4a36-7d1c-4b8e-9f0a-5c3d2b1a0e9f' },
          user: { id: '29:1AbcDEfgHijKlmNOpqRStuvWxyz0123456789-abcdefGHIJklmnopQRSTuvwxyz' },
        },
      },
    });
  });

  it('keeps standard emoji, strips custom emoji, relays shared files and ignores the html mirror and sprites', () => {
    const event = activityToUserEvent(fixture('message-emoji-file'));
    expect(event).toMatchObject({
      type: 'message',
      // "(partyparrot)" is a tenant emoji (the HTML mirror says so); "(attached)" is just text.
      text: "My laptop won't boot 👋 see screenshot (attached)",
      files: [
        {
          name: 'boot-error.png',
          contentType: 'image/png',
          url: expect.stringMatching(/^https:\/\/contoso-my\.sharepoint\.com\/.*download\.aspx\?UniqueId=1150d938/),
        },
        {
          name: 'setupapi.dev.log',
          contentType: 'text/plain',
          url: expect.stringMatching(/download\.aspx\?UniqueId=2260e049/),
        },
      ],
    });
    if (event?.type !== 'message') throw new Error('expected a message');
    expect(event.files).toHaveLength(2); // no text/html, no image/* sprite
  });

  it('removes the bot mention and keeps other mentions as @Name', () => {
    const event = activityToUserEvent(fixture('message-mention'));
    expect(event).toMatchObject({ type: 'message', text: 'please loop in @Ben Ortiz' });
    expect(event?.user.profile).toMatchObject({ locale: 'en-GB', timeZone: 'Europe/London' });
    expect(event?.user.address).toMatchObject({ serviceUrl: 'https://smba.trafficmanager.net/emea/' });
  });

  it('turns an Action.Submit click into submitDetails with the inputs and the clicked card', () => {
    expect(activityToUserEvent(fixture('card-submit-details'))).toMatchObject({
      type: 'submitDetails',
      offerId: 'offer-7f3a',
      description: 'Outlook crashes when I open the calendar',
      topicId: 'software',
      source: { activityId: '1732097990321' },
      dedupeKeys: [`teams:${CONVERSATION}:1732098005444`],
      user: { surface: 'teams', profile: { id: AAD } },
    });
  });

  it('turns Start and Cancel clicks into their events', () => {
    const click = (value: unknown) => activityToUserEvent({ ...fixture('card-submit-details'), value });
    expect(click({ lab: 'startChat', offerId: 'offer-1' })).toMatchObject({
      type: 'startChat',
      offerId: 'offer-1',
      source: { activityId: '1732097990321' },
    });
    expect(click({ lab: 'cancel', sessionId: 'sess-9' })).toMatchObject({
      type: 'cancel',
      sessionId: 'sess-9',
      source: { activityId: '1732097990321' },
    });
  });

  it('ignores clicks on cards that are not ours', () => {
    expect(activityToUserEvent({ ...fixture('card-submit-details'), value: { action: 'approve' } })).toBeUndefined();
  });

  it('turns typing into a typing event', () => {
    expect(activityToUserEvent(fixture('typing'))).toMatchObject({
      type: 'typing',
      dedupeKeys: [`teams:${CONVERSATION}:1732098060000`],
      user: { surface: 'teams', profile: { id: AAD } },
    });
  });

  it('ignores conversationUpdate and other non-message activities', () => {
    expect(activityToUserEvent(fixture('conversation-update'))).toBeUndefined();
    expect(activityToUserEvent({ ...fixture('typing'), type: 'messageReaction' })).toBeUndefined();
    expect(activityToUserEvent({ ...fixture('typing'), type: 'invoke', name: 'adaptiveCard/action' })).toBeUndefined();
  });

  it('ignores a message that was only a custom emoji', () => {
    const base = fixture('message-text');
    const event = activityToUserEvent({
      ...base,
      text: '(partyparrot)',
      attachments: [
        {
          contentType: 'text/html',
          content: '<p><img itemtype="http://schema.skype.com/Emoji" itemid="partyparrot" alt="(partyparrot)" src="https://x/e.png"></p>',
        },
      ],
    });
    expect(event).toBeUndefined();
  });

  it('falls back to the `29:` id for users without an AAD object id', () => {
    const base = fixture('message-text');
    const event = activityToUserEvent({ ...base, from: { id: '29:guest', name: 'Guest' } });
    expect(event?.user.profile.id).toBe('29:guest');
  });

  it('produces the same dedupe keys for a redelivered activity', () => {
    const first = activityToUserEvent(fixture('message-text'));
    const again = activityToUserEvent(fixture('message-text'));
    expect(again?.dedupeKeys).toEqual(first?.dedupeKeys);
    expect(first?.dedupeKeys).toEqual([`teams:${CONVERSATION}:1732097702123`]);
  });

  it('reads text that arrives as HTML', () => {
    const base = fixture('message-text');
    const event = activityToUserEvent({
      ...base,
      text: '<p>Line one<br>Line &amp; two <emoji id="1f600_grinningface" alt="😀" title="Grinning face"></emoji></p>',
    });
    expect(event).toMatchObject({ type: 'message', text: 'Line one\nLine & two 😀' });
  });
});

describe('Teams HTML helpers', () => {
  it('finds standard and custom emoji, and not ordinary images', () => {
    const html =
      '<p>hi <emoji id="1f44b_wavinghand" alt="👋" title="Waving hand"></emoji>' +
      '<img itemtype="http://schema.skype.com/Emoji" alt="(partyparrot)" src="https://x/p.png">' +
      '<img itemtype="http://schema.skype.com/AMSImage" src="https://smba.trafficmanager.net/amer/v3/attachments/1/views/original"></p>';
    expect(findEmoji(html).map((e) => [e.alt, e.custom])).toEqual([
      ['👋', false],
      ['(partyparrot)', true],
    ]);
    expect(htmlToText(html)).toBe('hi 👋\n');
  });
});

describe('the stored Teams address', () => {
  it('is the same for every message of a chat, so relaying a message does not rewrite the conversation', () => {
    const first = activityToUserEvent(fixture('message-text'))!;
    const later = activityToUserEvent({ ...fixture('message-text'), id: '1732097709999', text: 'and another thing' })!;
    expect(later.user.address).toEqual(first.user.address);
  });
});
