/**
 * The Amazon Connect desk as the bridge runs it, against the simulator: settings parsed from the
 * simulator's environment (the same variables an operator sets), the connector wrapped in the
 * core's `ChatStreamOwner`, and an agent driver that finds a session's contact by the `sessionId`
 * attribute the connector sends and plays Connect's agents.
 */
import { randomUUID } from 'node:crypto';
import { amazonConnectDeskSchema, type AmazonConnectSettingsInput } from '../../adapters/desks/amazon-connect/config';
import { AmazonConnectDesk } from '../../adapters/desks/amazon-connect/desk';
import { createStore } from '../../adapters/store';
import { storeSettingsSchema } from '../../adapters/store/config';
import { ChatStreamOwner, type ChatStreamOwnerDeps } from '../../bots/core/chat-stream-owner';
import { systemClock } from '../../bots/core/clock';
import type { Store } from '../../bots/core/ports';
import type { AgentDriver } from '../contract/desk.contract';
import { type AmazonConnectSimulator, SIM_DEFAULTS, type SimContact } from '../simulators/amazon-connect/simulator';
import { RecordingLogger } from './core-fakes';

export const CONNECT_AGENTS = ['Beth Anglin', 'Carl Moss'];

/** The SDK's default credential chain finds these (the simulator ignores SigV4 but the SDK signs). */
export function useSimulatorCredentials(sim: AmazonConnectSimulator): void {
  const env = sim.env();
  process.env.AWS_ACCESS_KEY_ID ??= env.AWS_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY ??= env.AWS_SECRET_ACCESS_KEY;
}

/** Settings as the config would build them from the simulator's variables. */
export function simulatorSettings(sim: AmazonConnectSimulator, extra: Partial<AmazonConnectSettingsInput> = {}) {
  const env = sim.env();
  return amazonConnectDeskSchema.parse({
    instanceId: env.AMAZON_CONNECT_INSTANCE_ID,
    contactFlowId: env.AMAZON_CONNECT_CONTACT_FLOW_ID,
    region: env.AWS_REGION,
    endpoint: env.AMAZON_CONNECT_ENDPOINT,
    participantEndpoint: env.AMAZON_CONNECT_PARTICIPANT_ENDPOINT,
    availability: { queueId: SIM_DEFAULTS.queueId, cacheSeconds: 0 },
    retry: { attempts: 4, baseDelayMs: 20, maxDelayMs: 200 },
    ...extra,
  });
}

/** One "process": its own connector and owner over a store (its own, or one shared with others). */
export function connectProcess(
  sim: AmazonConnectSimulator,
  store: Store,
  opts: { settings?: Partial<AmazonConnectSettingsInput>; owner?: Partial<ChatStreamOwnerDeps> } = {},
) {
  useSimulatorCredentials(sim);
  const logger = new RecordingLogger();
  const connector = new AmazonConnectDesk({ settings: simulatorSettings(sim, opts.settings), store, clock: systemClock, logger });
  const owner = new ChatStreamOwner(connector, { store, clock: systemClock, logger, ...opts.owner });
  return { connector, owner, logger };
}

/** The contact the connector started for our session (it sends the session id as an attribute). */
export function contactOf(sim: AmazonConnectSimulator, sessionId: string): SimContact {
  const found = [...sim.state.contacts.values()].find((c) => c.attributes.sessionId === sessionId);
  if (!found) throw new Error(`no Connect contact for session ${sessionId}`);
  return found;
}

/** What the customer (the bridge) wrote in the chat, by content type. */
export function customerTexts(sim: AmazonConnectSimulator, sessionId: string, contentType?: string): string[] {
  const contact = contactOf(sim, sessionId);
  return sim
    .customerItems(contact.initialContactId)
    .filter((i) => i.Type === 'MESSAGE' && (contentType === undefined || i.ContentType === contentType))
    .map((i) => i.Content ?? '');
}

export function connectDriver(sim: AmazonConnectSimulator): AgentDriver {
  const id = (sessionId: string) => contactOf(sim, sessionId).initialContactId;
  return {
    agentName: (i = 0) => CONNECT_AGENTS[i],
    accept: async (sessionId, i = 0) => {
      sim.agent.join(id(sessionId), CONNECT_AGENTS[i]);
    },
    say: async (sessionId, text, opts = {}) => {
      sim.agent.say(id(sessionId), text, { as: CONNECT_AGENTS[opts.agentIndex ?? 0] });
    },
    end: async (sessionId) => sim.agent.end(id(sessionId)),
    // User messages go as markdown; the opening and the history as plain text.
    received: async (sessionId) => customerTexts(sim, sessionId, 'text/markdown'),
    ended: async (sessionId) => contactOf(sim, sessionId).status === 'ended',
    context: async (sessionId) => customerTexts(sim, sessionId, 'text/plain').join('\n'),
  };
}

export async function memoryStore(): Promise<Store> {
  return createStore(storeSettingsSchema.parse({ namespace: `connect-${randomUUID()}` }));
}
