/**
 * The connector-client cache of bots/teams/adapter.ts, behind botbuilder's public authentication
 * API: every turn, whichever entry runs it, gets the same ConnectorClient and UserTokenClient for
 * the same bot and service URL, and a new one for another service URL.
 */
import type { TurnContext } from 'botbuilder';
import type express from 'express';
import pino from 'pino';
import { createTeamsAdapter } from '../../../bots/teams/adapter';
import { teamsSettingsSchema } from '../../../bots/teams/config';
import { turnEntry } from '../../../bots/teams/turn-entry';
import { messageActivity, teamsChat } from '../../helpers/bf-activity';

describe('Teams adapter client cache', () => {
  const adapter = createTeamsAdapter(teamsSettingsSchema.parse({}), pino({ level: 'silent' }));
  const seen: { connector: unknown; tokens: unknown }[] = [];
  const logic = async (context: TurnContext) => {
    seen.push({ connector: context.turnState.get(adapter.ConnectorClientKey), tokens: context.turnState.get(adapter.UserTokenClientKey) });
  };
  const request = (serviceUrl: string) =>
    ({
      method: 'POST',
      headers: {},
      body: JSON.parse(JSON.stringify(messageActivity(teamsChat({ serviceUrl, botId: 'bot' }), 'hi'))),
    }) as unknown as express.Request;

  it('reuses the clients across turns and entries, per service URL', async () => {
    await turnEntry(adapter, 'direct')(request('https://smba.trafficmanager.net/amer/'), logic);
    await turnEntry(adapter, 'public')(request('https://smba.trafficmanager.net/amer/'), logic);
    await turnEntry(adapter, 'direct')(request('https://smba.trafficmanager.net/emea/'), logic);

    expect(seen).toHaveLength(3);
    expect(seen[0].connector).toBeDefined();
    expect(seen[1].connector).toBe(seen[0].connector);
    expect(seen[1].tokens).toBe(seen[0].tokens);
    expect(seen[2].connector).not.toBe(seen[0].connector);
    expect(seen[2].tokens).toBe(seen[0].tokens);
  });
});
