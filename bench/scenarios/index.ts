/**
 * Every scenario the runner knows, in the order they run. To add one: implement `Scenario`
 * (see types.ts) in its own file and list it here; the runner, the report and `--only` pick it up.
 */
import { memoryScenario } from './memory';
import { relayRedis } from './relay-redis';
import { relayTeams } from './relay-teams';
import type { Scenario, ScenarioResult } from './types';

/** A scenario the issue asks for whose surface is not built yet: reported as pending, never faked. */
function pending(name: string, title: string, todo: string): Scenario {
  return {
    name,
    title,
    byDefault: true,
    async run(): Promise<ScenarioResult> {
      return { name, title, status: 'pending', reason: todo, targets: [], accounting: [], data: {}, markdown: `Not measured yet: ${todo}` };
    },
  };
}

export const scenarios: Scenario[] = [
  relayTeams,
  relayRedis,
  memoryScenario,
  // TODO(slack relay): same shape as relay-teams.ts, with a Driver for Slack: signed requests
  // (X-Slack-Signature / X-Slack-Request-Timestamp over the raw body) POSTed to the Slack
  // endpoint, and a fake Slack Web API (chat.postMessage / chat.update) in place of the fake
  // connector, counting tagged texts the same way. Compare with an echo app on @slack/bolt.
  pending('slack', 'Slack relay vs echo app', 'the Slack surface (bots/slack) is being built; add bench/scenarios/relay-slack.ts when it lands.'),
  // TODO(broadcast fan-out): 10,000 recipients through the broadcast API to the fake connector and
  // fake Slack API; report time to hand all of them over, and prove pacing from the fake's
  // per-second receive counts (max per second and per conversation vs the configured limits).
  pending('broadcast', 'Broadcast fan-out to 10,000 recipients', 'broadcasts are being built; add bench/scenarios/broadcast.ts when the API lands.'),
];
