/**
 * Activities shaped the way Teams sends them to a bot in a 1:1 (personal) chat, with the
 * `serviceUrl` pointing wherever the test wants replies to go (usually the fake connector).
 */
import { randomUUID } from 'node:crypto';

export interface TeamsChat {
  serviceUrl: string;
  /** The bot's app id; the recipient id is `28:<botId>`. */
  botId: string;
  botName?: string;
  conversationId?: string;
  userId?: string;
  aadObjectId?: string;
  userName?: string;
  tenantId?: string;
  locale?: string;
  localTimezone?: string;
}

export type TeamsActivity = Record<string, unknown> & { type: string; id: string };

let counter = 0;
/** Teams activity ids are millisecond timestamps; unique per call here. */
export function nextActivityId(): string {
  counter += 1;
  return `${1732100000000 + counter}`;
}

export function teamsChat(overrides: Partial<TeamsChat> & Pick<TeamsChat, 'serviceUrl' | 'botId'>): Required<TeamsChat> {
  return {
    botName: 'Support Bot',
    conversationId: `a:1${randomUUID().replace(/-/g, '')}`,
    userId: `29:1${randomUUID().replace(/-/g, '')}`,
    aadObjectId: randomUUID(),
    userName: 'Ana Lima',
    tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    locale: 'en-US',
    localTimezone: 'America/Los_Angeles',
    ...overrides,
  };
}

function envelope(chat: Required<TeamsChat>, type: string, id = nextActivityId()): TeamsActivity {
  return {
    type,
    id,
    timestamp: new Date().toISOString(),
    localTimestamp: new Date().toISOString(),
    serviceUrl: chat.serviceUrl,
    channelId: 'msteams',
    from: { id: chat.userId, name: chat.userName, aadObjectId: chat.aadObjectId },
    conversation: { conversationType: 'personal', tenantId: chat.tenantId, id: chat.conversationId },
    recipient: { id: `28:${chat.botId}`, name: chat.botName },
    entities: [{ locale: chat.locale, country: 'US', platform: 'Web', timezone: chat.localTimezone, type: 'clientInfo' }],
    channelData: { tenant: { id: chat.tenantId } },
    locale: chat.locale,
    localTimezone: chat.localTimezone,
  };
}

export function messageActivity(chat: Required<TeamsChat>, text: string, extra: Record<string, unknown> = {}): TeamsActivity {
  return {
    ...envelope(chat, 'message'),
    textFormat: 'plain',
    text,
    attachments: [{ contentType: 'text/html', content: `<p>${escapeHtml(text)}</p>` }],
    ...extra,
  };
}

/** An Action.Submit click: no text, `value` = the button's data merged with the inputs. */
export function cardSubmitActivity(chat: Required<TeamsChat>, value: Record<string, unknown>, replyToId: string): TeamsActivity {
  return { ...envelope(chat, 'message'), replyToId, value };
}

export function typingActivity(chat: Required<TeamsChat>): TeamsActivity {
  return envelope(chat, 'typing');
}

/** What Teams sends when the app is installed for the user (bot and user added). */
export function conversationUpdateActivity(chat: Required<TeamsChat>): TeamsActivity {
  return {
    ...envelope(chat, 'conversationUpdate'),
    membersAdded: [{ id: `28:${chat.botId}` }, { id: chat.userId, aadObjectId: chat.aadObjectId }],
  };
}

export interface PostResult {
  status: number;
  body: string;
  /** The answer's `Retry-After`, if any. */
  retryAfter: string | null;
}

/** POSTs an activity to the bot the way the Bot Connector does. */
export async function postActivity(baseUrl: string, activity: object, token?: string): Promise<PostResult> {
  const res = await fetch(new URL('/api/messages', baseUrl), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(activity),
  });
  return { status: res.status, body: await res.text(), retryAfter: res.headers.get('retry-after') };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}
