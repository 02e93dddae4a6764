/**
 * A bridge process with the stream test desk, for tests that start real processes (and kill
 * them): `bots/main.ts`'s start-up and shutdown, with the desk built from the test tree and
 * pointed at `STREAM_TEST_DESK_URL` (a `StreamTestServer` the test runs). Everything else comes
 * from the configuration as `npm start` loads it (REDIS_URL, STORE_NAMESPACE, PORT, ...).
 */
import { createBridge } from '../../../bots/app';
import { createLogger } from '../../../bots/logger';
import { loadConfig } from '../../../config/load';
import { StreamTestDesk } from './desk';

async function main(): Promise<void> {
  const url = process.env.STREAM_TEST_DESK_URL;
  if (!url) throw new Error('STREAM_TEST_DESK_URL is not set');
  const config = loadConfig();
  const logger = createLogger(config.server.logLevel);
  const bridge = await createBridge({
    config,
    logger,
    desk: (deps) => ({ desk: new StreamTestDesk({ url, store: deps.store }), mount: () => undefined, banner: () => [] }),
  });
  const listening = await bridge.listen();
  process.stdout.write(`Live Agent Bridge on ${listening.url}\n`);
  const shutdown = () =>
    void bridge.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((e) => {
  process.stderr.write(`stream test bridge could not start: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
