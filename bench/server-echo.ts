/**
 * The ceiling: a bare echo bot on the same stack as the bridge (botbuilder CloudAdapter, built
 * with the bridge's own adapter factory so authentication is configured identically, behind
 * express with the same JSON body parser). It answers every message with its own text.
 *
 * Modes (BENCH_CHILD_CONFIG.mode):
 * - `turn` (default): the canonical echo bot, `context.sendActivity` inside the turn.
 * - `proactive`: answers the request first, then sends through `continueConversationAsync`
 *   with the stored reference (botbuilder's own proactive turn, with a new connector client per
 *   turn: how the bridge sent every message before it had its own client and cache).
 * - `lean`: answers inside the turn through the bridge's own Bot Connector client
 *   (bots/teams/connector.ts), to show what that client is worth to the ceiling too.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import pino from 'pino';
import { TurnContext } from 'botbuilder';
import { createTeamsAdapter } from '../bots/teams/adapter';
import { teamsSettingsSchema } from '../bots/teams/config';
import { BotConnector } from '../bots/teams/connector';
import { childConfig, runChild } from './lib/child-runtime';

interface EchoConfig {
  mode?: 'turn' | 'proactive' | 'lean';
}

void runChild(async () => {
  const { mode = 'turn' } = childConfig<EchoConfig>();
  const logger = pino({ level: 'silent' });
  const adapter = createTeamsAdapter(teamsSettingsSchema.parse({}), logger);
  adapter.onTurnError = async () => undefined;
  const connector = new BotConnector({ token: async () => undefined });

  const app = express();
  app.disable('x-powered-by');
  app.post('/api/messages', express.json({ limit: '1mb' }), async (req, res) => {
    await adapter.process(req, res, async (context) => {
      if (context.activity.type !== 'message' || !context.activity.text) return;
      const text = context.activity.text;
      if (mode === 'turn') {
        await context.sendActivity(text);
        return;
      }
      const a = context.activity;
      if (mode === 'lean') {
        await connector.send(
          { serviceUrl: a.serviceUrl, conversationId: a.conversation.id },
          {
            type: 'message',
            text,
            channelId: a.channelId,
            serviceUrl: a.serviceUrl,
            conversation: a.conversation,
            from: a.recipient,
            recipient: a.from,
          },
        );
        return;
      }
      const reference = TurnContext.getConversationReference(context.activity);
      void adapter.continueConversationAsync('', reference, async (ctx) => {
        await ctx.sendActivity(text);
      });
    });
  });

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    info: { mode },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
});
