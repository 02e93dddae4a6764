/**
 * Slack payloads → core events, pinned by fixtures shaped like what Slack sends.
 */
import { defaultCardLabels } from '../../../cards/labels';
import type { UserProfile } from '../../../bots/core/ports';
import {
  actionToOutcome,
  decodeModalMetadata,
  encodeModalMetadata,
  fileRef,
  hasStubFiles,
  isUserMessage,
  messageToUserEvent,
  submissionToUserEvent,
  validateSubmission,
  type SlackBlockActionBody,
  type SlackEventEnvelope,
  type SlackViewSubmissionBody,
} from '../../../bots/slack/inbound';
import messageText from '../../fixtures/slack/message-text.json';
import fileShare from '../../fixtures/slack/message-file-share.json';
import fileStub from '../../fixtures/slack/message-file-stub.json';
import botMessage from '../../fixtures/slack/message-bot.json';
import messageChanged from '../../fixtures/slack/message-changed.json';
import startClick from '../../fixtures/slack/block-actions-start.json';
import detailsSubmission from '../../fixtures/slack/view-submission-details.json';

const ana: UserProfile = { id: 'U0ANA', name: 'Ana Lima', email: 'ana@acme.example', timeZone: 'Europe/Lisbon', locale: 'pt-PT' };
const clone = <T>(v: T): T => structuredClone(v);

describe('Slack messages', () => {
  it('become a message event with converted text, the DM address and both dedupe keys', () => {
    const event = messageToUserEvent(messageText as SlackEventEnvelope, {
      profile: ana,
      botUserId: 'UBOT0001',
      userName: (id) => (id === 'U0DANA' ? 'Dana Scully' : undefined),
    });
    expect(event).toEqual({
      type: 'message',
      messageId: 'slack:D0ANA:1732100000.000200',
      text: 'Hi @Dana Scully the [VPN page](https://wiki.acme.example/vpn) says **restart** & wait 🤔',
      user: { surface: 'slack', profile: ana, address: { team: 'T0ACME', channel: 'D0ANA', user: 'U0ANA' } },
      dedupeKeys: ['slack:event:Ev07ABCDEF', 'slack:msg:D0ANA:1732100000.000200'],
    });
  });

  it('carry shared files with their Slack id in the handle; deleted files are left out', () => {
    const event = messageToUserEvent(fileShare as SlackEventEnvelope, { profile: ana });
    expect(event).toMatchObject({
      type: 'message',
      text: 'screenshot attached',
      files: [
        {
          name: 'screenshot.png',
          contentType: 'image/png',
          size: 48213,
          url: 'https://files.slack.com/files-pri/T0ACME-F0SHOT/download/screenshot.png',
          handle: { id: 'F0SHOT' },
        },
      ],
    });
  });

  it('mark stub files (check_file_info) so they are completed with files.info', () => {
    const envelope = fileStub as SlackEventEnvelope;
    expect(hasStubFiles(envelope.event)).toBe(true);
    const event = messageToUserEvent(envelope, { profile: ana });
    expect(event).toMatchObject({
      type: 'message',
      text: '',
      files: [{ name: 'file-F0STUB', contentType: '', handle: { id: 'F0STUB', stub: true } }],
    });
    expect(fileRef({ id: 'F1', name: 'doc.pdf', mimetype: 'application/pdf', url_private: 'https://x', is_external: true }).handle).toEqual(
      { id: 'F1', external: true },
    );
  });

  it("ignore the bot's own posts, other bots, edits, and anything outside the DM", () => {
    expect(messageToUserEvent(botMessage as SlackEventEnvelope, { profile: ana, botUserId: 'UBOT0001' })).toBeUndefined();
    expect(messageToUserEvent(messageChanged as unknown as SlackEventEnvelope, { profile: ana })).toBeUndefined();
    const own = clone(messageText) as SlackEventEnvelope;
    own.event.user = 'UBOT0001';
    expect(isUserMessage(own.event, 'UBOT0001')).toBe(false);
    const channel = clone(messageText) as SlackEventEnvelope;
    channel.event.channel_type = 'channel';
    expect(isUserMessage(channel.event)).toBe(false);
  });

  it('drop a message that was only a custom emoji', () => {
    const onlyCustom = clone(messageText) as SlackEventEnvelope;
    onlyCustom.event.text = ':acme-logo:';
    onlyCustom.event.blocks = [
      { type: 'rich_text', elements: [{ type: 'rich_text_section', elements: [{ type: 'emoji', name: 'acme-logo' }] }] },
    ];
    expect(messageToUserEvent(onlyCustom, { profile: ana })).toBeUndefined();
  });

  it('dedupe on channel + ts even without an event_id (a redelivery under a new id has the same ts)', () => {
    const a = messageToUserEvent(messageText as SlackEventEnvelope, { profile: ana })!;
    const again = clone(messageText) as SlackEventEnvelope;
    again.event_id = 'Ev07OTHER1';
    const b = messageToUserEvent(again, { profile: ana })!;
    expect(a.dedupeKeys[1]).toBe(b.dedupeKeys[1]);
    expect(a.dedupeKeys[0]).not.toBe(b.dedupeKeys[0]);
  });
});

describe('Slack button clicks', () => {
  it('Start: a startChat event with the clicked message as source and a fresh trigger in the address', () => {
    const outcome = actionToOutcome(startClick as SlackBlockActionBody, { profile: ana, now: 1_000 });
    expect(outcome).toEqual({
      kind: 'event',
      event: {
        type: 'startChat',
        offerId: 'offer-1',
        source: { channel: 'D0ANA', ts: '1732100500.000700' },
        user: {
          surface: 'slack',
          profile: ana,
          address: { team: 'T0ACME', channel: 'D0ANA', user: 'U0ANA', triggerId: '1732100501.7.abc123', triggerAt: 1_000 },
        },
        dedupeKeys: ['slack:action:U0ANA:1732100501.000800'],
      },
    });
  });

  it('Add details: opens the modal in the glue (not a core event)', () => {
    const click = clone(startClick) as SlackBlockActionBody;
    click.actions[0] = { action_id: 'lab_add_details', value: '{"lab":"submitDetails","offerId":"offer-1"}', action_ts: '1' };
    expect(actionToOutcome(click, { profile: ana, now: 0 })).toEqual({
      kind: 'openDetails',
      offerId: 'offer-1',
      channel: 'D0ANA',
      ts: '1732100500.000700',
      triggerId: '1732100501.7.abc123',
      topicOnly: false,
    });
  });

  it('Choose a topic: opens the topic-only modal', () => {
    const click = clone(startClick) as SlackBlockActionBody;
    click.actions[0] = { action_id: 'lab_add_topic', value: '{"lab":"submitDetails","offerId":"offer-1"}', action_ts: '1' };
    expect(actionToOutcome(click, { profile: ana, now: 0 })).toMatchObject({ kind: 'openDetails', offerId: 'offer-1', topicOnly: true });
  });

  it('Cancel: a cancel event without a trigger', () => {
    const click = clone(startClick) as SlackBlockActionBody;
    click.actions[0] = { action_id: 'lab_cancel', value: '{"lab":"cancel","sessionId":"s-1"}', action_ts: '2' };
    const outcome = actionToOutcome(click, { profile: ana, now: 0 });
    expect(outcome).toMatchObject({ kind: 'event', event: { type: 'cancel', sessionId: 's-1', user: { address: { channel: 'D0ANA' } } } });
    expect((outcome as any).event.user.address.triggerId).toBeUndefined();
  });

  it('ignores links, foreign payloads and a payload under the wrong button', () => {
    const link = clone(startClick) as SlackBlockActionBody;
    link.actions[0] = { action_id: 'lab_link', action_ts: '3' };
    expect(actionToOutcome(link, { profile: ana, now: 0 })).toEqual({ kind: 'ignore' });
    const foreign = clone(startClick) as SlackBlockActionBody;
    foreign.actions[0] = { action_id: 'lab_start_chat', value: 'approve', action_ts: '4' };
    expect(actionToOutcome(foreign, { profile: ana, now: 0 })).toEqual({ kind: 'ignore' });
    const swapped = clone(startClick) as SlackBlockActionBody;
    swapped.actions[0].action_id = 'lab_cancel_other';
    expect(actionToOutcome(swapped, { profile: ana, now: 0 })).toEqual({ kind: 'ignore' });
  });
});

describe('the details modal submission', () => {
  const labels = defaultCardLabels;

  it('valid: becomes submitDetails with the trimmed description and the topic', () => {
    const body = detailsSubmission as SlackViewSubmissionBody;
    expect(validateSubmission(body, labels)).toBeUndefined();
    expect(submissionToUserEvent(body, ana)).toEqual({
      type: 'submitDetails',
      offerId: 'offer-1',
      description: 'VPN drops every hour\nSince Monday',
      topicId: 'access',
      // Opened straight from the offer: the modal is the form.
      source: { channel: 'D0ANA', view: 'V0DETAILS' },
      user: { surface: 'slack', profile: ana, address: { team: 'T0ACME', channel: 'D0ANA', user: 'U0ANA' } },
      dedupeKeys: ['slack:view:V0DETAILS'],
    });
  });

  it('empty description and missing required topic: inline errors keyed by block id', () => {
    const body = clone(detailsSubmission) as SlackViewSubmissionBody;
    body.view.state!.values!.description.description.value = '   ';
    body.view.state!.values!.topic.topic.selected_option = null;
    expect(validateSubmission(body, labels)).toEqual({ description: labels.descriptionError, topic: labels.topicError });
  });

  it('topic optional when not required; opened from "Add details" the message is the source', () => {
    const body = clone(detailsSubmission) as SlackViewSubmissionBody;
    body.view.private_metadata = encodeModalMetadata({
      offerId: 'offer-1',
      channel: 'D0ANA',
      ts: '1732.1',
      from: 'details',
      topicRequired: false,
    });
    body.view.state!.values!.topic.topic.selected_option = null;
    expect(validateSubmission(body, labels)).toBeUndefined();
    expect(submissionToUserEvent(body, ana)).toMatchObject({ source: { channel: 'D0ANA', ts: '1732.1' } });
    expect(submissionToUserEvent(body, ana)).not.toHaveProperty('topicId');
  });

  it('a topic-only modal has no description input: only the topic is checked, the core keeps the described problem', () => {
    const body = clone(detailsSubmission) as SlackViewSubmissionBody;
    body.view.private_metadata = encodeModalMetadata({
      offerId: 'offer-1',
      channel: 'D0ANA',
      from: 'offer',
      topicRequired: true,
      topicOnly: true,
    });
    delete (body.view.state!.values as Record<string, unknown>).description;
    expect(validateSubmission(body, labels)).toBeUndefined();
    expect(submissionToUserEvent(body, ana)).toMatchObject({ type: 'submitDetails', description: '', topicId: 'access' });
    body.view.state!.values!.topic.topic.selected_option = null;
    expect(validateSubmission(body, labels)).toEqual({ topic: labels.topicError });
  });

  it('a modal that is not ours (bad metadata) is ignored', () => {
    const body = clone(detailsSubmission) as SlackViewSubmissionBody;
    body.view.private_metadata = 'not json';
    expect(validateSubmission(body, labels)).toBeUndefined();
    expect(submissionToUserEvent(body, ana)).toBeUndefined();
    expect(decodeModalMetadata('{"offerId":"","channel":"D"}')).toBeUndefined();
  });
});
