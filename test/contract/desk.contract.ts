/**
 * The shared `Desk` conformance suite. Every desk runs it: the built-in console now, and each
 * vendor connector later against its local simulator. A harness wraps one desk plus a driver
 * that acts as its agents on the far side (the console's HTTP API, a vendor simulator's agent
 * endpoints), so the suite checks behaviour end to end without knowing which desk it has.
 *
 * Rules for the suite: no branching on the desk's class or name (capabilities a vendor lacks are
 * declared by the harness in `supports`), and no timing assumptions: desks that report events
 * asynchronously (streams, webhooks) are polled with `eventually`.
 *
 * Every desk in adapters/desks/registry.ts runs it (desks.registry.test.ts), with the harness
 * registered for its system in desk-harnesses/index.ts:
 *   console: async () => ({ desk, agents, setAgentsOnline, close }),
 */
import { historyForDesk } from '../../bots/core/history';
import type { Desk, DeskEvent, HistoryEntry, OpenChatRequest, UserMessage } from '../../bots/core/ports';
import { eventually } from '../helpers/eventually';

/** Acts as the desk's agents. `agentIndex` defaults to 0; the suite uses 0 and 1. */
export interface AgentDriver {
  /** The display name the desk reports for this agent (checked against sink events). */
  agentName(agentIndex?: number): string;
  /** Take the chat (waiting until the desk has offered it, for desks that route asynchronously). */
  accept(sessionId: string, agentIndex?: number): Promise<void>;
  /** Write in the chat. Rejects when the desk refuses (e.g. the chat has ended). */
  say(sessionId: string, text: string, opts?: { agentIndex?: number; private?: boolean }): Promise<void>;
  /** Close the chat from the agent's console. */
  end(sessionId: string, agentIndex?: number): Promise<void>;
  /** The user's texts as the agent side has them, in order. */
  received(sessionId: string): Promise<string[]>;
  /** Whether the agent side shows the chat as ended. */
  ended(sessionId: string): Promise<boolean>;
  /**
   * Everything the agent side has of the user's conversation with the bot before the handoff,
   * as one text: the structured history's entries and/or the plain-text extract, as the desk
   * shows them.
   */
  context(sessionId: string): Promise<string>;
}

export interface DeskHarness {
  /** Not started: the suite calls `start(sink)` and `stop()`. */
  desk: Desk;
  agents: AgentDriver;
  /** Make exactly `n` distinct agents online, where the harness can. */
  setAgentsOnline?(n: number): Promise<void>;
  /** Features some systems lack; omitted means supported. */
  supports?: { multipleAgents?: boolean; privateNotes?: boolean };
  /** Tear down everything but the desk (servers, simulators, stores). */
  close(): Promise<void>;
}

// `eventually` retries a check until it stops throwing (for desks whose events arrive asynchronously).
export { eventually };

let counter = 0;
function newSessionId(): string {
  counter += 1;
  return `conf-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** The user's talk with the bot before the handoff, as the broker keeps it. */
export const HISTORY: HistoryEntry[] = [
  { from: 'user', text: 'vpn broken', at: 1_700_000_000_000 },
  { from: 'bot', text: 'Have you tried restarting the client?', at: 1_700_000_001_000 },
];

/** A request as the core makes it: the structured history and its plain-text extract both. */
export function chatRequest(sessionId: string, overrides: Partial<OpenChatRequest> = {}): OpenChatRequest {
  const history = historyForDesk(HISTORY, { maxMessages: 6, stripLinks: false, dropUserMessages: false, maxTextBytes: 10 * 1024 });
  return {
    sessionId,
    surface: 'teams',
    user: { id: 'u-1', name: 'Jordan Example', email: 'jordan@example.com', locale: 'en-US' },
    title: 'My laptop will not connect to VPN',
    details: 'Since this morning the VPN client says "authentication failed".',
    topic: { id: 'network', label: 'Network' },
    routing: { language: 'en', region: 'us' },
    ...history,
    ...overrides,
  };
}

let messageCounter = 0;
function userMessage(text: string, messageId = `m-${++messageCounter}`): UserMessage {
  return { messageId, text, at: Date.now() };
}

export function describeDeskConformance(name: string, makeHarness: () => Promise<DeskHarness>): void {
  describe(`Desk conformance: ${name}`, () => {
    let harness: DeskHarness;
    let desk: Desk;
    let agents: AgentDriver;
    let events: DeskEvent[];

    const of = (sessionId: string, type?: DeskEvent['type']) =>
      events.filter((e) => e.sessionId === sessionId && (type === undefined || e.type === type));

    /** The agent messages the sink got for a chat, as "agent name: text". */
    const relayed = (sessionId: string) =>
      of(sessionId, 'agentMessage').map((e) => (e.type === 'agentMessage' ? `${e.agent.name}: ${e.text}` : ''));

    async function openAndAccept(agentIndex = 0): Promise<string> {
      const sessionId = newSessionId();
      await desk.openChat(chatRequest(sessionId));
      await agents.accept(sessionId, agentIndex);
      await eventually(() => expect(of(sessionId, 'agentJoined')).toHaveLength(1));
      return sessionId;
    }

    beforeEach(async () => {
      harness = await makeHarness();
      desk = harness.desk;
      agents = harness.agents;
      events = [];
      await desk.start(async (event) => {
        events.push(event);
      });
    });

    afterEach(async () => {
      await desk.stop();
      await harness.close();
    });

    it('has a stable name', () => {
      expect(typeof desk.name).toBe('string');
      expect(desk.name.length).toBeGreaterThan(0);
    });

    it('queues a chat, and reports the accepting agent by name', async () => {
      const sessionId = newSessionId();
      await desk.openChat(chatRequest(sessionId));
      // Before anyone accepts, the desk may say the chat is queued, and nothing else.
      for (const e of of(sessionId)) expect(['queued', 'systemMessage']).toContain(e.type);

      await agents.accept(sessionId);
      const joined = await eventually(() => {
        const found = of(sessionId, 'agentJoined');
        expect(found).toHaveLength(1);
        return found[0];
      });
      expect(joined).toMatchObject({ type: 'agentJoined', sessionId, agent: { name: agents.agentName(0) } });
      if (joined.type === 'agentJoined') expect(joined.agent.id).toBeTruthy();

      // `queued`, when reported, comes before the join.
      const types = of(sessionId).map((e) => e.type);
      if (types.includes('queued')) expect(types.indexOf('queued')).toBeLessThan(types.indexOf('agentJoined'));
    });

    it("hands the agent the user's conversation with the bot: the request carries it structured and as text", async () => {
      const sessionId = newSessionId();
      const request = chatRequest(sessionId);
      expect(request.history).toEqual(HISTORY);
      expect(request.historyText).toBe(
        '[2023-11-14 22:13 UTC] User: vpn broken\n[2023-11-14 22:13 UTC] Bot: Have you tried restarting the client?',
      );
      await desk.openChat(request);
      const shown = await agents.context(sessionId);
      for (const entry of HISTORY) expect(shown).toContain(entry.text);
    });

    it('relays user messages to the agent side in order, each once, including those sent while queued', async () => {
      const sessionId = newSessionId();
      await desk.openChat(chatRequest(sessionId));
      await desk.sendMessage(sessionId, userMessage('sent while waiting'));
      await agents.accept(sessionId);

      await desk.sendMessage(sessionId, userMessage('first'));
      const retried = userMessage('second');
      await desk.sendMessage(sessionId, retried);
      // A surface retry: the same messageId again must not show twice.
      await desk.sendMessage(sessionId, { ...retried });
      await desk.sendMessage(sessionId, userMessage('third'));

      await eventually(async () => expect(await agents.received(sessionId)).toEqual(['sent while waiting', 'first', 'second', 'third']));
    });

    it('relays agent messages attributed to the agent who sent them', async () => {
      const sessionId = await openAndAccept(0);
      await agents.say(sessionId, 'Hi Jordan, I can help with that.');
      await agents.say(sessionId, 'Can you restart the VPN client?');

      await eventually(() =>
        expect(relayed(sessionId)).toEqual([
          `${agents.agentName(0)}: Hi Jordan, I can help with that.`,
          `${agents.agentName(0)}: Can you restart the VPN client?`,
        ]),
      );
      const [first, second] = of(sessionId, 'agentMessage');
      if (first.type !== 'agentMessage' || second.type !== 'agentMessage') throw new Error('unreachable');
      expect(first.messageId).toBeTruthy();
      expect(first.messageId).not.toBe(second.messageId);
    });

    it('lets a second agent join, and attributes each message to its own agent', async () => {
      if (harness.supports?.multipleAgents === false) return;
      const sessionId = await openAndAccept(0);
      await agents.accept(sessionId, 1);
      await eventually(() => expect(of(sessionId, 'agentJoined')).toHaveLength(2));
      const joined = of(sessionId, 'agentJoined').map((e) => (e.type === 'agentJoined' ? e.agent : undefined));
      expect(joined.map((a) => a?.name)).toEqual([agents.agentName(0), agents.agentName(1)]);
      expect(joined[0]?.id).not.toBe(joined[1]?.id);

      await agents.say(sessionId, 'Looping in a colleague.', { agentIndex: 0 });
      await agents.say(sessionId, 'Hello, I look after VPN.', { agentIndex: 1 });

      await eventually(() =>
        expect(relayed(sessionId)).toEqual([
          `${agents.agentName(0)}: Looping in a colleague.`,
          `${agents.agentName(1)}: Hello, I look after VPN.`,
        ]),
      );
      const ids = of(sessionId, 'agentMessage').map((e) => (e.type === 'agentMessage' ? e.agent.id : ''));
      expect(ids).toEqual([joined[0]?.id, joined[1]?.id]);
    });

    it('never relays private notes between agents', async () => {
      if (harness.supports?.privateNotes === false) return;
      const sessionId = await openAndAccept(0);
      await agents.say(sessionId, 'Note: user is a VIP', { private: true });
      await agents.say(sessionId, 'Public reply');

      await eventually(() => expect(relayed(sessionId)).toEqual([`${agents.agentName(0)}: Public reply`]));
      // The public reply came after the note, so the note had every chance to arrive.
      const everything = JSON.stringify(events);
      expect(everything).not.toContain('VIP');
    });

    it('reports the agent ending the chat as ended/agent_ended', async () => {
      const sessionId = await openAndAccept(0);
      await agents.end(sessionId);
      await eventually(() =>
        expect(of(sessionId, 'ended')).toEqual([expect.objectContaining({ type: 'ended', sessionId, reason: 'agent_ended' })]),
      );
    });

    it('ends the chat on the agent side when we end it, and relays nothing after', async () => {
      const sessionId = await openAndAccept(0);
      await desk.endChat(sessionId, 'user_stopped');
      await eventually(async () => expect(await agents.ended(sessionId)).toBe(true));

      await agents.say(sessionId, 'Are you still there?').catch(() => undefined);
      // Give asynchronous desks a moment to (wrongly) relay it.
      await new Promise((r) => setTimeout(r, 200));
      expect(relayed(sessionId)).toEqual([]);
      // We ended it ourselves: the desk does not report an `ended` back.
      expect(of(sessionId, 'ended')).toEqual([]);
    });

    it('treats ending twice, or ending an unknown chat, as done', async () => {
      const sessionId = newSessionId();
      await desk.openChat(chatRequest(sessionId));
      await desk.endChat(sessionId, 'user_cancelled');
      await expect(desk.endChat(sessionId, 'user_cancelled')).resolves.toBeUndefined();
      await expect(desk.endChat(newSessionId(), 'queue_timeout')).resolves.toBeUndefined();
      await eventually(async () => expect(await agents.ended(sessionId)).toBe(true));
    });

    it('refuses a message for an unknown session with unknown_session', async () => {
      await expect(desk.sendMessage(newSessionId(), userMessage('hello?'))).rejects.toMatchObject({
        code: 'unknown_session',
      });
    });

    it('keeps two chats apart', async () => {
      const a = await openAndAccept(0);
      const b = await openAndAccept(1);
      await desk.sendMessage(a, userMessage('for A'));
      await desk.sendMessage(b, userMessage('for B'));
      await agents.say(a, 'answer A', { agentIndex: 0 });
      await agents.say(b, 'answer B', { agentIndex: 1 });

      await eventually(async () => {
        expect(await agents.received(a)).toEqual(['for A']);
        expect(await agents.received(b)).toEqual(['for B']);
        expect(relayed(a)).toEqual([`${agents.agentName(0)}: answer A`]);
        expect(relayed(b)).toEqual([`${agents.agentName(1)}: answer B`]);
      });
    });

    it('reflects online agents in availability', async () => {
      if (!harness.setAgentsOnline) return;
      await harness.setAgentsOnline(0);
      await eventually(async () => expect((await desk.checkAvailability()).available).toBe(false));

      await harness.setAgentsOnline(2);
      await eventually(async () => {
        const availability = await desk.checkAvailability();
        expect(availability.available).toBe(true);
        if (availability.agentsOnline !== undefined) expect(availability.agentsOnline).toBe(2);
      });

      await harness.setAgentsOnline(0);
      await eventually(async () => expect((await desk.checkAvailability()).available).toBe(false));
    });
  });
}
