/**
 * Process entry: load config, start the bridge, print where to go, and shut down gracefully on
 * SIGTERM/SIGINT (stop accepting, finish in-flight work, close desk streams, exit 0).
 */
import { loadConfig } from '../config/load';
import type { BridgeConfig } from '../config/schema';
import { createBridge } from './app';
import { isBridgeError } from './core/errors';
import { createLogger } from './logger';
import { webChatBanner } from './web';

async function main(): Promise<void> {
  let config: BridgeConfig;
  try {
    config = loadConfig();
  } catch (e) {
    // One readable message listing every wrong key, not a stack trace.
    process.stderr.write(`${isBridgeError(e) ? e.message : String(e)}\n`);
    process.exit(1);
  }
  const logger = createLogger(config.server.logLevel);
  const bridge = await createBridge({ config, logger });
  const { url } = await bridge.listen();
  const publicUrl = config.server.publicUrl ?? url;

  logger.info(
    {
      url,
      surfaces: bridge.surfaces,
      desks: config.desks.map((d) => `${d.id} (${d.system})`),
      store: config.store.redisUrl ? 'redis' : 'memory',
    },
    'Live Agent Bridge is listening',
  );
  const lines = [
    '',
    `  Live Agent Bridge on ${url}`,
    bridge.surfaces.includes('teams')
      ? `  Bot Framework endpoint: ${publicUrl}/api/messages`
      : '  Teams:                  off (set MicrosoftAppId and MicrosoftAppPassword to turn it on)',
    ...(config.slack.botToken
      ? [
          config.slack.appToken
            ? '  Slack:                  Socket Mode (no public URL needed)'
            : `  Slack events endpoint:  ${publicUrl}/slack/events`,
        ]
      : ['  Slack:                  off (set SLACK_BOT_TOKEN to turn it on)']),
    ...webChatBanner(config.web, publicUrl),
    ...bridge.banner(publicUrl),
  ];
  process.stdout.write(`${lines.join('\n')}\n\n`);

  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down: finishing in-flight work');
    const force = setTimeout(() => {
      logger.error({ graceSeconds: config.server.shutdownGraceSeconds }, 'shutdown took too long; exiting anyway');
      process.exit(1);
    }, config.server.shutdownGraceSeconds * 1000);
    force.unref();
    bridge.stop().then(
      () => {
        logger.info({}, 'stopped');
        process.exit(0);
      },
      (e) => {
        logger.error({ err: e }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((e) => {
  process.stderr.write(`Live Agent Bridge could not start: ${isBridgeError(e) ? e.message : ((e as Error).stack ?? String(e))}\n`);
  process.exit(1);
});
