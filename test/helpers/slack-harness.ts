/**
 * The real bridge with Slack on, a fake Slack Web API, and Slack users who POST signed requests
 * to `/slack/events` the way Slack does (Events API JSON, interactivity as a form with `payload`).
 * Builds on the Teams harness, so one test can have Teams and Slack users at once.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { BridgeConfigInput } from '../../config/schema';
import { startBridgeHarness, type BridgeHarness, type HarnessOptions } from './bridge-harness';
import { startFakeSlack, type FakeMessage, type FakeSlack, type FakeView } from './fake-slack';

export const SLACK_BOT_TOKEN = 'xoxb-test-0123456789-bridge';
export const SLACK_SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';

export interface SlackHarness extends BridgeHarness {
  slack: FakeSlack;
  slackUser(overrides?: Partial<SlackUserInfo>): SlackUser;
}

export interface SlackHarnessOptions extends HarnessOptions {
  /** Scopes the fake reports for the bot token (default: all the manifest's). */
  scopes?: string[];
  /** The app-level token the fake accepts for apps.connections.open (Socket Mode). */
  appToken?: string;
  /** Called with the fake before the bridge starts (Socket Mode tests set `socketUrl`). */
  prepare?: (slack: FakeSlack) => void;
  slackConfig?: NonNullable<BridgeConfigInput['slack']>;
}

export async function startSlackHarness(options: SlackHarnessOptions = {}): Promise<SlackHarness> {
  const slack = await startFakeSlack({ botToken: SLACK_BOT_TOKEN, scopes: options.scopes, appToken: options.appToken });
  options.prepare?.(slack);
  const input = options.config ?? {};
  let h: BridgeHarness;
  try {
    h = await startBridgeHarness({
      ...options,
      config: {
        ...input,
        slack: { botToken: SLACK_BOT_TOKEN, signingSecret: SLACK_SIGNING_SECRET, apiUrl: slack.apiUrl, ...options.slackConfig },
      },
    });
  } catch (e) {
    await slack.close();
    throw e;
  }
  const close = h.close.bind(h);
  return Object.assign(h, {
    slack,
    slackUser: (overrides: Partial<SlackUserInfo> = {}) => {
      const user = slackUserInfo(slack, overrides);
      slack.addUser({ id: user.userId, name: user.handle, real_name: user.name, email: user.email, tz: user.tz, locale: user.locale });
      return new SlackUser(h.url, slack, user);
    },
    async close() {
      await close();
      await slack.close();
    },
  });
}

export interface SlackUserInfo {
  teamId: string;
  userId: string;
  /** The user's DM with the app. */
  channel: string;
  handle: string;
  name: string;
  email: string;
  tz: string;
  locale: string;
}

let counter = 0;
function slackUserInfo(slack: FakeSlack, overrides: Partial<SlackUserInfo>): SlackUserInfo {
  counter += 1;
  const n = `${Date.now().toString(36).toUpperCase()}${counter}`;
  return {
    teamId: slack.teamId,
    userId: `U${n}`,
    channel: `D${n}`,
    handle: `user${counter}`,
    name: 'Sam Rivera',
    email: `user${counter}@acme.example`,
    tz: 'Europe/Berlin',
    locale: 'de-DE',
    ...overrides,
  };
}

/** Slack's request signature: `v0=` + HMAC-SHA256 of `v0:{timestamp}:{raw body}`. */
export function signSlackRequest(body: string, timestamp: number, secret = SLACK_SIGNING_SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface PostOptions {
  /** Seconds; defaults to now. */
  timestamp?: number;
  secret?: string;
  /** Replaces the computed signature. */
  signature?: string;
  headers?: Record<string, string>;
}

export async function postToSlackEndpoint(
  bridgeUrl: string,
  body: string,
  contentType: string,
  options: PostOptions = {},
): Promise<{ status: number; text: string; json?: any }> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const res = await fetch(`${bridgeUrl}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': options.signature ?? signSlackRequest(body, timestamp, options.secret),
      ...options.headers,
    },
    body,
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

export interface SayOptions {
  files?: Record<string, any>[];
  /** rich_text blocks as Slack sends them (emoji elements with or without `unicode`). */
  blocks?: any[];
  eventId?: string;
  ts?: string;
  subtype?: string;
  post?: PostOptions;
}

/** One employee in Slack, writing to the app in its DM and clicking its buttons. */
export class SlackUser {
  constructor(
    readonly bridgeUrl: string,
    readonly slack: FakeSlack,
    readonly info: SlackUserInfo,
  ) {}

  get id(): string {
    return this.info.userId;
  }

  get channel(): string {
    return this.info.channel;
  }

  /** The Events API envelope of a DM message, as Slack would send it. */
  messageEnvelope(text: string, options: SayOptions = {}): { body: Record<string, any>; eventId: string; ts: string } {
    const eventId = options.eventId ?? `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
    const ts = options.ts ?? `${Math.floor(Date.now() / 1000)}.${String(++counter).padStart(6, '0')}`;
    const event: Record<string, any> = {
      type: 'message',
      channel: this.channel,
      channel_type: 'im',
      user: this.id,
      text,
      ts,
      event_ts: ts,
      team: this.info.teamId,
      client_msg_id: randomUUID(),
      ...(options.blocks ? { blocks: options.blocks } : {}),
      ...(options.files ? { files: options.files, subtype: options.subtype ?? 'file_share', upload: false } : {}),
      ...(options.subtype && !options.files ? { subtype: options.subtype } : {}),
    };
    const body = {
      token: 'legacy-verification-token',
      team_id: this.info.teamId,
      api_app_id: 'A0BRIDGE',
      event,
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [
        { enterprise_id: null, team_id: this.info.teamId, user_id: this.slack.botUserId, is_bot: true, is_enterprise_install: false },
      ],
      is_ext_shared_channel: false,
      event_context: `4-${eventId}`,
    };
    return { body, eventId, ts };
  }

  /** Write a DM to the app; resolves with the ids Slack gave the event. */
  async say(text: string, options: SayOptions = {}): Promise<{ eventId: string; ts: string }> {
    const { body, eventId, ts } = this.messageEnvelope(text, options);
    await this.postJson(body, options.post);
    return { eventId, ts };
  }

  async postJson(body: object, options: PostOptions = {}): Promise<{ status: number; text: string; json?: any }> {
    const res = await postToSlackEndpoint(this.bridgeUrl, JSON.stringify(body), 'application/json', options);
    if (res.status !== 200) throw new Error(`POST /slack/events answered ${res.status}: ${res.text}`);
    return res;
  }

  /** Click the button `actionId` on a message the bot posted. */
  async click(message: FakeMessage, actionId: string, options: { triggerIssuedAt?: number } = {}): Promise<string> {
    const payload = this.clickPayload(message, actionId, options);
    const res = await this.postForm(payload);
    if (res.status !== 200) throw new Error(`click answered ${res.status}: ${res.text}`);
    return payload.trigger_id;
  }

  /** The `block_actions` payload of a click, with a fresh trigger from the fake. */
  clickPayload(
    message: FakeMessage,
    actionId: string,
    options: { triggerIssuedAt?: number } = {},
  ): Record<string, any> & { trigger_id: string } {
    const button = buttonsOf(message).find((b) => b.action_id === actionId);
    if (!button) throw new Error(`no ${actionId} button on message ${message.ts}: ${JSON.stringify(message.blocks)}`);
    return {
      type: 'block_actions',
      user: { id: this.id, username: this.info.handle, name: this.info.handle, team_id: this.info.teamId },
      api_app_id: 'A0BRIDGE',
      token: 'legacy-verification-token',
      container: { type: 'message', message_ts: message.ts, channel_id: this.channel, is_ephemeral: false },
      trigger_id: this.slack.issueTrigger(options.triggerIssuedAt),
      team: { id: this.info.teamId, domain: 'acme' },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: this.channel, name: 'directmessage' },
      message: { type: 'message', ts: message.ts, text: message.text, blocks: message.blocks, bot_id: this.slack.botId },
      state: { values: {} },
      response_url: `${this.slack.url}/actions/${randomUUID()}`,
      actions: [
        {
          action_id: button.action_id,
          block_id: button.block_id,
          text: button.text,
          ...(button.value !== undefined ? { value: button.value } : {}),
          ...(button.style ? { style: button.style } : {}),
          type: 'button',
          action_ts: `${(Date.now() / 1000).toFixed(6)}`,
        },
      ],
    };
  }

  /** Submit the modal; resolves with Bolt's answer (inline errors come back in the body). */
  async submit(view: FakeView, values: { description?: string; topic?: string }): Promise<{ status: number; json?: any }> {
    const res = await this.postForm(this.submissionPayload(view, values));
    return { status: res.status, json: res.json };
  }

  /** The `view_submission` payload of the modal with these inputs. */
  submissionPayload(view: FakeView, values: { description?: string; topic?: string }): Record<string, any> {
    const stateValues: Record<string, any> = {
      description: { description: { type: 'plain_text_input', value: values.description ?? null } },
    };
    const select = (view.view.blocks as any[]).find((b) => b.block_id === 'topic');
    if (select) {
      const option = (select.element.options as any[]).find((o) => o.value === values.topic);
      stateValues.topic = { topic: { type: 'static_select', selected_option: option ?? null } };
    }
    return {
      type: 'view_submission',
      team: { id: this.info.teamId, domain: 'acme' },
      user: { id: this.id, username: this.info.handle, name: this.info.handle, team_id: this.info.teamId },
      api_app_id: 'A0BRIDGE',
      token: 'legacy-verification-token',
      trigger_id: this.slack.issueTrigger(),
      view: {
        id: view.id,
        team_id: this.info.teamId,
        type: 'modal',
        ...view.view,
        state: { values: stateValues },
        hash: `${Date.now()}.hash`,
        app_id: 'A0BRIDGE',
        bot_id: this.slack.botId,
      },
      response_urls: [],
      is_enterprise_install: false,
    };
  }

  async postForm(payload: object, options: PostOptions = {}): Promise<{ status: number; text: string; json?: any }> {
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    return postToSlackEndpoint(this.bridgeUrl, body, 'application/x-www-form-urlencoded', options);
  }

  /** Messages the bot posted in this user's DM, oldest first. */
  messages(): FakeMessage[] {
    return this.slack.messages.filter((m) => m.channel === this.channel);
  }

  texts(): string[] {
    return this.messages().map((m) => m.text);
  }

  waitForMessage(match: (m: FakeMessage) => boolean, timeoutMs = 5000): Promise<FakeMessage> {
    return this.slack.waitFor(() => this.messages().find(match), timeoutMs, `message in ${this.channel} matching ${match}`);
  }

  waitForText(pattern: RegExp | string, timeoutMs = 5000): Promise<FakeMessage> {
    const test = (t: string) => (typeof pattern === 'string' ? t.includes(pattern) : pattern.test(t));
    return this.waitForMessage((m) => test(m.text), timeoutMs);
  }

  /** A message carrying a button with this action_id. */
  waitForButton(actionId: string, except: FakeMessage[] = [], timeoutMs = 5000): Promise<FakeMessage> {
    return this.waitForMessage((m) => !except.includes(m) && buttonsOf(m).some((b) => b.action_id === actionId), timeoutMs);
  }

  /** Wait until the message was updated and matches. */
  waitForUpdate(message: FakeMessage, match: (m: FakeMessage) => boolean = () => true, timeoutMs = 5000): Promise<FakeMessage> {
    return this.slack.waitFor(
      () => (message.history.length > 0 && match(message) ? message : undefined),
      timeoutMs,
      `update of ${message.ts}`,
    );
  }

  /** The n-th modal opened with one of this user's triggers (n counts from 0). */
  waitForModal(after = 0, timeoutMs = 5000): Promise<FakeView> {
    return this.slack.waitFor(() => this.slack.views[after], timeoutMs, `modal #${after}`);
  }
}

export function buttonsOf(message: FakeMessage): any[] {
  return message.blocks
    .filter((b) => b.type === 'actions')
    .flatMap((b) => (b.elements as any[]).map((e) => ({ ...e, block_id: b.block_id })));
}

/** A message with the button `actionId` (`lab_start_chat`, `lab_cancel`, …). */
export const hasButton = (actionId: string) => (m: FakeMessage) => buttonsOf(m).some((b) => b.action_id === actionId);

/** Every text shown in a message's blocks (sections, contexts), flattened. */
export function blockText(message: FakeMessage): string {
  const texts: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, any>;
    if ((n.type === 'plain_text' || n.type === 'mrkdwn') && typeof n.text === 'string' && n.type !== undefined) texts.push(n.text);
    for (const [k, v] of Object.entries(n)) if (k !== 'elements' || n.type !== 'actions') walk(v);
  };
  walk(message.blocks);
  return texts.join('\n');
}

export function statusLineOf(message: FakeMessage): string | undefined {
  const block = message.blocks.find((b) => b.block_id === 'lab_status');
  return block?.elements?.[0]?.text;
}
