/**
 * The Slack ceiling: a bare echo app on the same stack as the bridge's Slack surface (@slack/bolt
 * with an ExpressReceiver mounted on an express app, the same signing-secret check, the bridge's
 * own Web API client options, an `authorize` that never calls Slack, acknowledge before the
 * listener runs). It answers every DM with its own text through `chat.postMessage`.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import pino from 'pino';
import { App, ExpressReceiver } from '@slack/bolt';
import { slackClientOptions, slackLogger } from '../bots/slack/client';
import { slackTransport } from '../bots/slack/transport';
import { childConfig, runChild } from './lib/child-runtime';

interface EchoSlackConfig {
  apiUrl: string;
  botToken: string;
  signingSecret: string;
  /** `lean`: the bridge's own keep-alive transport instead of the global fetch. */
  mode?: string;
}

void runChild(async () => {
  const cfg = childConfig<EchoSlackConfig>();
  const logger = pino({ level: 'silent' });
  const app = express();
  app.disable('x-powered-by');
  const receiver = new ExpressReceiver({
    signingSecret: cfg.signingSecret,
    app,
    endpoints: '/slack/events',
    logger: slackLogger(logger),
    processBeforeResponse: false,
  });
  const bolt = new App({
    receiver,
    authorize: async () => ({ botToken: cfg.botToken, botUserId: 'UBENCHBOT1', botId: 'BBENCHBOT1' }),
    // The bridge's retry and timeout options, but the stock transport (global fetch): the
    // bridge's own keep-alive transport is part of what is measured, not of the ceiling
    // (`--echo-mode lean` gives it to the echo app too, for comparison).
    clientOptions: { ...slackClientOptions({ apiUrl: cfg.apiUrl }, logger), fetch: cfg.mode === 'lean' ? slackTransport : undefined },
    logger: slackLogger(logger),
    convoStore: false,
  });
  bolt.event('message', async ({ event, client }) => {
    const e = event as { channel?: string; text?: string; bot_id?: string; subtype?: string };
    if (e.bot_id || e.subtype || !e.channel || !e.text) return;
    await client.chat.postMessage({ channel: e.channel, text: e.text });
  });
  bolt.error(async () => undefined);

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    info: { mode: cfg.mode === 'lean' ? 'slack, lean' : 'slack' },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
});
