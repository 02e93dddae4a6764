/**
 * Bot Framework activities as Teams sends them for a 1:1 chat (same shape as the wire tests'
 * fixtures: HTML mirror attachment, clientInfo entity, tenant), with `serviceUrl` at the fake
 * connector. Ids are deterministic per benchmark user so runs are comparable.
 */
import { randomUUID } from 'node:crypto';

export interface BenchUser {
  index: number;
  conversationId: string;
  userId: string;
  aadObjectId: string;
  name: string;
}

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
let activityCounter = 0;

export function benchUser(index: number): BenchUser {
  const hex = randomUUID().replace(/-/g, '');
  return {
    index,
    conversationId: `a:1${hex}`,
    userId: `29:1${hex.split('').reverse().join('')}`,
    aadObjectId: randomUUID(),
    name: `Bench User ${index}`,
  };
}

function envelope(user: BenchUser, serviceUrl: string): Record<string, unknown> {
  activityCounter += 1;
  const now = new Date().toISOString();
  return {
    type: 'message',
    id: `${1732100000000 + activityCounter}`,
    timestamp: now,
    localTimestamp: now,
    serviceUrl,
    channelId: 'msteams',
    from: { id: user.userId, name: user.name, aadObjectId: user.aadObjectId },
    conversation: { conversationType: 'personal', tenantId: TENANT, id: user.conversationId },
    recipient: { id: '28:bench-bot', name: 'Support Bot' },
    entities: [{ locale: 'en-US', country: 'US', platform: 'Web', timezone: 'America/Los_Angeles', type: 'clientInfo' }],
    channelData: { tenant: { id: TENANT } },
    locale: 'en-US',
    localTimezone: 'America/Los_Angeles',
  };
}

export function messageActivity(user: BenchUser, serviceUrl: string, text: string): Record<string, unknown> {
  return {
    ...envelope(user, serviceUrl),
    textFormat: 'plain',
    text,
    attachments: [{ contentType: 'text/html', content: `<p>${text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)}</p>` }],
  };
}

/** An Action.Submit click on the card the bot sent as `replyToId`. */
export function submitActivity(user: BenchUser, serviceUrl: string, value: object, replyToId: string): Record<string, unknown> {
  return { ...envelope(user, serviceUrl), replyToId, value };
}

/** The `data` of the first card action with `lab === kind`, if the activity carries such a card. */
export function cardAction(body: Record<string, unknown>, kind: string): Record<string, unknown> | undefined {
  const attachments = body.attachments as { contentType?: string; content?: { actions?: { data?: any }[] } }[] | undefined;
  for (const a of attachments ?? []) {
    if (a.contentType !== 'application/vnd.microsoft.card.adaptive') continue;
    const action = a.content?.actions?.find((x) => x.data?.lab === kind);
    if (action) return action.data as Record<string, unknown>;
  }
  return undefined;
}
