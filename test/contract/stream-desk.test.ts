/**
 * The shared Desk suite against the stream test desk as the bridge runs it: the connector
 * wrapped in the core's `ChatStreamOwner`, every chat's events over a WebSocket of its own to a
 * real server on 127.0.0.1, the owner's leases, registry and cursors in the memory store.
 */
import { randomUUID } from 'node:crypto';
import { createStore } from '../../adapters/store';
import { storeSettingsSchema } from '../../adapters/store/config';
import { startStreamTestServer, streamTestDriver, streamTestProcess } from '../desks/stream-test-desk/harness';
import { describeDeskConformance } from './desk.contract';

describeDeskConformance('stream-test (ChatStreamOwner)', async () => {
  const server = await startStreamTestServer();
  const store = await createStore(storeSettingsSchema.parse({ namespace: `stream-conf-${randomUUID()}` }));
  // Not started: the suite starts the desk with its own sink.
  const { owner } = streamTestProcess(server, store);
  return {
    desk: owner,
    agents: streamTestDriver(server),
    async setAgentsOnline(n) {
      server.agentsOnline = n;
    },
    async close() {
      await server.close();
      await store.close();
    },
  };
});
