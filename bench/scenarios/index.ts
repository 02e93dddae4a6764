/**
 * Every scenario the runner knows, in the order they run. To add one: implement `Scenario`
 * (see types.ts) in its own file and list it here; the runner, the report and `--only` pick it up.
 */
import { amazonConnect } from './amazon-connect';
import { broadcastScenario } from './broadcast';
import { memoryScenario } from './memory';
import { relayRedis } from './relay-redis';
import { relaySlack } from './relay-slack';
import { relayTeams } from './relay-teams';
import { scaleOut } from './scale-out';
import type { Scenario } from './types';

export const scenarios: Scenario[] = [relayTeams, relayRedis, scaleOut, memoryScenario, relaySlack, broadcastScenario, amazonConnect];
