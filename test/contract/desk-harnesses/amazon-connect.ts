/**
 * The Amazon Connect connector under the Desk suite: AWS's SDK clients and `ws` against the
 * Amazon Connect simulator (HTTP + WebSocket on 127.0.0.1), the connector wrapped in the core's
 * ChatStreamOwner as the bridge runs it. Connect has no private notes between agents.
 */
import type { DeskHarness } from '../desk.contract';
import { connectDriver, connectProcess, memoryStore } from '../../helpers/amazon-connect-harness';
import { AmazonConnectSimulator } from '../../simulators/amazon-connect/simulator';

export async function amazonConnectConformanceHarness(): Promise<DeskHarness> {
  const sim = await AmazonConnectSimulator.start();
  const store = await memoryStore();
  // Not started: the suite starts the desk with its own sink.
  const { owner } = connectProcess(sim, store);
  return {
    desk: owner,
    agents: connectDriver(sim),
    supports: { privateNotes: false },
    async setAgentsOnline(n) {
      sim.setAgents({ available: n, online: n });
    },
    async close() {
      await sim.close();
      await store.close();
    },
  };
}
