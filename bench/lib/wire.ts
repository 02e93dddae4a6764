/**
 * How benchmark users talk to the server under test, per platform: what a user's message and a
 * click on the Start button look like on the wire, and how to read the offer and waiting cards
 * the server sent back (as the fake platform reported them).
 *
 * - Teams: Bot Framework activities POSTed to `/api/messages` (auth off on loopback), with
 *   `serviceUrl` at the fake connector.
 * - Slack: Events API envelopes (`message.im`) and `block_actions` payloads POSTed to
 *   `/slack/events`, signed with the signing secret exactly as Slack signs them
 *   (`v0=` HMAC-SHA256 of `v0:{timestamp}:{raw body}`); Bolt checks every signature.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { ConnectorActivity } from './fake-connector';
import { BENCH_SLACK_TEAM } from './fake-slack-api';
import { benchUser, cardAction, messageActivity, submitActivity, type BenchUser } from './teams';

export interface WireRequest {
  path: string;
  body: string;
  headers: Record<string, string>;
}

export interface UserWire {
  readonly surface: 'teams' | 'slack';
  newUser(index: number): BenchUser;
  message(user: BenchUser, text: string): WireRequest;
  /** The click on the offer's Start button, when `delivery` is an offer card. */
  startClick(user: BenchUser, delivery: ConnectorActivity): WireRequest | undefined;
  /** Whether `delivery` is the "waiting for an agent" card (it has a Cancel button). */
  isWaiting(delivery: ConnectorActivity): boolean;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

export function teamsWire(serviceUrl: string): UserWire {
  return {
    surface: 'teams',
    newUser: benchUser,
    message: (user, text) => ({
      path: '/api/messages',
      body: JSON.stringify(messageActivity(user, serviceUrl, text)),
      headers: JSON_HEADERS,
    }),
    startClick: (user, a) => {
      const action = cardAction(a.body, 'startChat');
      return action
        ? { path: '/api/messages', body: JSON.stringify(submitActivity(user, serviceUrl, action, a.activityId)), headers: JSON_HEADERS }
        : undefined;
    },
    isWaiting: (a) => cardAction(a.body, 'cancel') !== undefined,
  };
}

export const BENCH_SLACK_SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';

let slackSeq = 0;

export function slackWire(signingSecret = BENCH_SLACK_SIGNING_SECRET): UserWire {
  const signed = (body: string, contentType: string): WireRequest => {
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    return {
      path: '/slack/events',
      body,
      headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature },
    };
  };
  return {
    surface: 'slack',
    newUser(index) {
      const hex = randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase();
      return { index, conversationId: `D${hex}`, userId: `U${hex}`, aadObjectId: '', name: `Bench User ${index}` };
    },
    message(user, text) {
      slackSeq += 1;
      const ts = `${Math.floor(Date.now() / 1000)}.${String(slackSeq).padStart(6, '0')}`;
      const eventId = `Ev${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`;
      const body = {
        token: 'legacy-verification-token',
        team_id: BENCH_SLACK_TEAM,
        api_app_id: 'ABENCH0001',
        event: {
          type: 'message',
          channel: user.conversationId,
          channel_type: 'im',
          user: user.userId,
          text,
          ts,
          event_ts: ts,
          team: BENCH_SLACK_TEAM,
          client_msg_id: randomUUID(),
        },
        type: 'event_callback',
        event_id: eventId,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [
          { enterprise_id: null, team_id: BENCH_SLACK_TEAM, user_id: 'UBENCHBOT1', is_bot: true, is_enterprise_install: false },
        ],
        is_ext_shared_channel: false,
        event_context: `4-${eventId}`,
      };
      return signed(JSON.stringify(body), 'application/json');
    },
    startClick(user, a) {
      const button = slackButtons(a).find((b) => b.action_id === 'lab_start_chat');
      if (!button) return undefined;
      const payload = {
        type: 'block_actions',
        user: { id: user.userId, username: user.userId.toLowerCase(), name: user.userId.toLowerCase(), team_id: BENCH_SLACK_TEAM },
        api_app_id: 'ABENCH0001',
        token: 'legacy-verification-token',
        container: { type: 'message', message_ts: a.activityId, channel_id: user.conversationId, is_ephemeral: false },
        trigger_id: `${Date.now()}.${randomUUID().slice(0, 8)}`,
        team: { id: BENCH_SLACK_TEAM, domain: 'bench' },
        enterprise: null,
        is_enterprise_install: false,
        channel: { id: user.conversationId, name: 'directmessage' },
        message: { type: 'message', ts: a.activityId, text: a.text ?? '', bot_id: 'BBENCHBOT1' },
        state: { values: {} },
        actions: [
          {
            action_id: button.action_id,
            block_id: button.block_id,
            value: button.value,
            type: 'button',
            action_ts: `${(Date.now() / 1000).toFixed(6)}`,
          },
        ],
      };
      return signed(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded');
    },
    isWaiting: (a) => slackButtons(a).some((b) => b.action_id === 'lab_cancel'),
  };
}

function slackButtons(a: ConnectorActivity): { action_id: string; block_id?: string; value?: string }[] {
  const blocks = Array.isArray(a.body.blocks)
    ? (a.body.blocks as { type?: string; block_id?: string; elements?: { action_id?: string; value?: string }[] }[])
    : [];
  return blocks
    .filter((b) => b.type === 'actions')
    .flatMap((b) => (b.elements ?? []).map((e) => ({ action_id: String(e.action_id ?? ''), block_id: b.block_id, value: e.value })));
}
