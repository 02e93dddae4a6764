/**
 * The ServiceNow connector under the Desk suite: the connector talks over HTTP to the
 * ServiceNow simulator, whose agents reply by posting the documented outbound payloads to the
 * connector's webhook on a real express app. Nothing in between is mocked.
 */
import type { DeskHarness } from '../desk.contract';
import { startServiceNowHarness } from '../../helpers/servicenow-harness';

export async function servicenowConformanceHarness(): Promise<DeskHarness> {
  // Not started: the suite starts the desk with its own sink.
  const h = await startServiceNowHarness({ start: false });
  return {
    desk: h.desk,
    agents: {
      agentName: (i = 0) => h.sim.agents[i].name,
      accept: (sessionId, i = 0) => h.sim.accept(sessionId, i),
      say: async (sessionId, text, opts = {}) => {
        await h.sim.say(sessionId, text, { agentIndex: opts.agentIndex, private: opts.private });
      },
      end: (sessionId, i = 0) => h.sim.end(sessionId, i),
      received: async (sessionId) => h.sim.received(sessionId),
      ended: async (sessionId) => h.sim.conversation(sessionId).status === 'ended',
      context: async (sessionId) => {
        const { opening } = h.sim.conversation(sessionId);
        return [opening.text, ...opening.history.map((e) => String((e as { value?: unknown }).value))].join('\n');
      },
    },
    async setAgentsOnline(n) {
      h.sim.setAgentsOnline(n);
    },
    close: () => h.close(),
  };
}
