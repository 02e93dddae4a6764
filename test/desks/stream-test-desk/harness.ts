/**
 * The stream test desk as the bridge runs it: `StreamTestServer` on an ephemeral port, the
 * `StreamTestDesk` connector, wrapped in the core's `ChatStreamOwner` (the `Desk` the broker
 * gets), plus an agent driver for the Desk conformance suite.
 */
import { ChatStreamOwner, type ChatStreamOwnerDeps } from '../../../bots/core/chat-stream-owner';
import { systemClock } from '../../../bots/core/clock';
import type { Store } from '../../../bots/core/ports';
import type { AgentDriver } from '../../contract/desk.contract';
import { RecordingLogger } from '../../helpers/core-fakes';
import { StreamTestDesk } from './desk';
import { StreamTestServer } from './server';

export async function startStreamTestServer(): Promise<StreamTestServer> {
  const server = new StreamTestServer();
  await server.listen();
  return server;
}

/** One "process": its own connector and owner on a store of its own (or a shared one). */
export function streamTestProcess(server: StreamTestServer, store: Store, deps: Partial<ChatStreamOwnerDeps> = {}) {
  const connector = new StreamTestDesk({ url: server.url, store });
  const owner = new ChatStreamOwner(connector, { store, clock: systemClock, logger: new RecordingLogger(), ...deps });
  return { connector, owner };
}

/** The server's agents, as the conformance suite drives them. */
export function streamTestDriver(server: StreamTestServer): AgentDriver {
  return {
    agentName: (i = 0) => server.agents[i].name,
    accept: async (sessionId, i = 0) => server.accept(sessionId, i),
    say: async (sessionId, text, opts = {}) => server.say(sessionId, text, opts),
    end: async (sessionId, i = 0) => server.end(sessionId, i),
    received: async (sessionId) => [...server.chat(sessionId).received],
    ended: async (sessionId) => server.chat(sessionId).status === 'ended',
    context: async (sessionId) => {
      const chat = server.chat(sessionId);
      return [chat.title, chat.details, chat.historyText].join('\n');
    },
  };
}
