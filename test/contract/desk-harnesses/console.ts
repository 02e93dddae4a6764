/**
 * The built-in console under the Desk suite: a real express app on an ephemeral port, agents
 * driving it through the HTTP API, and the desk's state in an in-memory Store.
 */
import type { DeskHarness } from '../desk.contract';
import { type ConsoleEventReader, consoleAgentDriver } from '../../helpers/console-agent';
import { TEST_AGENTS, startConsoleHarness } from '../../helpers/console-harness';

export async function consoleConformanceHarness(): Promise<DeskHarness> {
  // Not started: the suite starts the desk with its own sink.
  const h = await startConsoleHarness({ start: false });
  const agents = TEST_AGENTS.map((a, i) => ({ name: a.name, client: h.client(i) }));
  const online: ConsoleEventReader[] = [];

  return {
    desk: h.desk,
    agents: consoleAgentDriver(agents),
    async setAgentsOnline(n) {
      if (n > agents.length) throw new Error(`the console harness has ${agents.length} agents`);
      while (online.length > n) await online.pop()!.close();
      while (online.length < n) online.push(await agents[online.length].client.events());
    },
    async close() {
      for (const reader of online.splice(0)) await reader.close();
      await h.close();
    },
  };
}
