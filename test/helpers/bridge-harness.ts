/**
 * The real bridge on an ephemeral port, a fake Bot Connector recording what the bot sends, and
 * console agents driving the real console API: the pieces of a wire-level end-to-end test.
 */
import pino from 'pino';
import { createBridge, type Bridge, type BridgeOptions } from '../../bots/app';
import type { Clock } from '../../bots/core/ports';
import { parseConfig } from '../../config/load';
import type { BridgeConfigInput } from '../../config/schema';
import { cardSubmitActivity, messageActivity, postActivity, teamsChat, typingActivity, type TeamsChat } from './bf-activity';
import { ConsoleAgentClient } from './console-agent';
import { startFakeConnector, type ConnectorRequest, type FakeConnector } from './fake-connector';

export const AGENTS = {
  beth: { name: 'Beth', token: 'beth-token-0123456789abcdef', avatarUrl: 'https://cdn.example.com/beth.png' },
  carl: { name: 'Carl', token: 'carl-token-0123456789abcdef' },
};

/** Local fakes are on http://127.0.0.1, which production refuses to fetch from. */
export const TEST_OUTBOUND = { allowPrivateNetworks: true, allowHttp: true };

export interface BridgeHarness {
  bridge: Bridge;
  url: string;
  connector: FakeConnector;
  beth: ConsoleAgentClient;
  carl: ConsoleAgentClient;
  /** A new Teams user in their own 1:1 chat with the bot. */
  teamsUser(overrides?: Partial<TeamsChat>): TeamsUser;
  close(): Promise<void>;
}

export interface HarnessOptions {
  config?: BridgeConfigInput;
  clock?: Clock;
  /** Reuse a connector (a restart test keeps the same one across two bridges). */
  connector?: FakeConnector;
  /** A desk of the test tree instead of the configured one (see `BridgeOptions.desk`). */
  desk?: BridgeOptions['desk'];
}

export async function startBridgeHarness(options: HarnessOptions = {}): Promise<BridgeHarness> {
  const connector = options.connector ?? (await startFakeConnector());
  const input = options.config ?? {};
  const config = parseConfig({
    ...input,
    // The fakes (file servers, Slack, ServiceNow) listen on http://127.0.0.1: the "configured for
    // tests" case of the outbound guard. Tests of the guard itself narrow these again.
    server: { port: 0, host: '127.0.0.1', logLevel: 'silent', outboundFetch: TEST_OUTBOUND, ...input.server },
    teams: { fileHosts: ['127.0.0.1'], ...input.teams },
    console: { agents: [AGENTS.beth, AGENTS.carl], ...input.console },
  });
  const bridge = await createBridge({
    config,
    clock: options.clock,
    desk: options.desk,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  });
  const { url } = await bridge.listen();
  const consoleUrl = `${url}/console`;
  return {
    bridge,
    url,
    connector,
    beth: new ConsoleAgentClient(consoleUrl, AGENTS.beth.token),
    carl: new ConsoleAgentClient(consoleUrl, AGENTS.carl.token),
    teamsUser: (overrides = {}) =>
      new TeamsUser(url, connector, teamsChat({ serviceUrl: connector.url, botId: 'bridge-bot', ...overrides })),
    async close() {
      await bridge.stop();
      if (!options.connector) await connector.close();
    },
  };
}

/** One employee in Teams: posts activities as Teams would and reads what the bot sent them. */
export class TeamsUser {
  constructor(
    readonly bridgeUrl: string,
    readonly connector: FakeConnector,
    readonly chat: Required<TeamsChat>,
  ) {}

  get id(): string {
    return this.chat.aadObjectId;
  }

  async say(text: string, extra: Record<string, unknown> = {}): Promise<string> {
    const activity = messageActivity(this.chat, text, extra);
    await this.post(activity);
    return activity.id;
  }

  async typing(): Promise<void> {
    await this.post(typingActivity(this.chat));
  }

  /** Click a button whose data has `lab === kind` on the card the bot sent as `cardActivityId`. */
  async click(card: SentCard, kind: string, inputs: Record<string, unknown> = {}): Promise<void> {
    const action = card.actions.find((a) => (a.data as { lab?: string } | undefined)?.lab === kind);
    if (!action) throw new Error(`no "${kind}" button on the card: ${JSON.stringify(card.content)}`);
    await this.post(cardSubmitActivity(this.chat, { ...(action.data as object), ...inputs }, card.activityId));
  }

  async post(activity: object): Promise<void> {
    const res = await postActivity(this.bridgeUrl, activity);
    if (res.status !== 200) throw new Error(`POST /api/messages answered ${res.status}: ${res.body}`);
  }

  /** Everything the bot sent to this user so far (new messages, not updates). */
  sent(): ConnectorRequest[] {
    return this.connector.requests.filter((r) => r.method === 'POST' && r.conversationId === this.chat.conversationId && r.status < 300);
  }

  texts(): string[] {
    return this.sent().flatMap((r) => (typeof r.body.text === 'string' ? [r.body.text] : []));
  }

  /** Wait for a text message matching `pattern`, sent after the first `after` messages. */
  async waitForText(pattern: RegExp | string, timeoutMs = 5000): Promise<string> {
    const test = (t: string) => (typeof pattern === 'string' ? t.includes(pattern) : pattern.test(t));
    const req = await this.connector.waitFor(
      (r) =>
        r.method === 'POST' &&
        r.conversationId === this.chat.conversationId &&
        typeof r.body.text === 'string' &&
        test(r.body.text as string),
      timeoutMs,
    );
    return req.body.text as string;
  }

  /** Wait for the n-th (0-based, default: first not yet seen) card whose text matches. */
  async waitForCard(match: (card: SentCard) => boolean, timeoutMs = 5000): Promise<SentCard> {
    const req = await this.connector.waitFor((r) => {
      if (r.method !== 'POST' || r.conversationId !== this.chat.conversationId) return false;
      const card = cardFrom(r);
      return card !== undefined && match(card);
    }, timeoutMs);
    return cardFrom(req)!;
  }

  /** Wait for an update (PUT) of the message `activityId`; resolves with the new card. */
  async waitForUpdate(activityId: string, match: (card: SentCard) => boolean = () => true, timeoutMs = 5000): Promise<SentCard> {
    const req = await this.connector.waitFor((r) => {
      if (r.method !== 'PUT' || r.activityId !== activityId) return false;
      const card = cardFrom(r, activityId);
      return card !== undefined && match(card);
    }, timeoutMs);
    return cardFrom(req, activityId)!;
  }
}

export interface SentCard {
  activityId: string;
  content: Record<string, unknown>;
  /** Every text in the card body, flattened. */
  text: string;
  actions: { type: string; title?: string; data?: unknown; url?: string }[];
  inputs: { type: string; id: string }[];
}

/** The cards of the handoff, told apart by their buttons and inputs. */
const hasLabAction = (lab: string) => (c: SentCard) => c.actions.some((a) => (a.data as { lab?: string })?.lab === lab);
export const isOffer = hasLabAction('startChat');
export const isDetails = (c: SentCard) => c.inputs.some((i) => i.id === 'description');
export const isWaiting = hasLabAction('cancel');

export function cardFrom(r: ConnectorRequest, activityId = r.assignedId): SentCard | undefined {
  const attachments = r.body.attachments as { contentType: string; content: Record<string, unknown> }[] | undefined;
  const att = attachments?.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive');
  if (!att || !activityId) return undefined;
  const texts: string[] = [];
  const inputs: SentCard['inputs'] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (n.type === 'TextBlock' && typeof n.text === 'string') texts.push(n.text);
    if (typeof n.type === 'string' && n.type.startsWith('Input.')) inputs.push({ type: n.type, id: String(n.id) });
    for (const [k, v] of Object.entries(n)) if (k !== 'actions') walk(v);
  };
  walk(att.content.body);
  return {
    activityId,
    content: att.content,
    text: texts.join('\n'),
    actions: (att.content.actions as SentCard['actions']) ?? [],
    inputs,
  };
}

/** Poll until `check` passes (for state seen through an API rather than an event). */
export { eventually } from './eventually';
