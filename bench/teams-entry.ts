/**
 * What the Teams endpoint's direct turn entry is worth (bots/teams/turn-entry.ts): CPU time per
 * inbound user message through each way into botbuilder, in this process, without HTTP (the
 * route's own work and the broker are the same for all of them, so they are left out).
 *
 * - `stock`: a plain CloudAdapter and `process`, as botbuilder's samples use it: new connector
 *   and user-token clients for every turn.
 * - `public`: the bridge's adapter (clients cached behind the public authentication API) and
 *   `process`.
 * - `direct`: the bridge's adapter and its direct entry (no per-request zod schemas).
 *
 * Bot Framework auth is off, as in the relay benchmark: JWT validation costs the same on every
 * path and would only hide the difference. Rounds alternate the variants so drift hits all.
 *
 *   npx tsx bench/teams-entry.ts [--messages 20000] [--rounds 5]
 */
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type TurnContext } from 'botbuilder';
import type express from 'express';
import pino from 'pino';
import { createTeamsAdapter, teamsAuthConfig } from '../bots/teams/adapter';
import { teamsSettingsSchema } from '../bots/teams/config';
import { type TurnEntry, turnEntry } from '../bots/teams/turn-entry';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const MESSAGES = flag('messages', 20_000);
const ROUNDS = flag('rounds', 5);

const settings = teamsSettingsSchema.parse({});
const logger = pino({ level: 'silent' });
const bridgeAdapter = createTeamsAdapter(settings, logger);
const stockAdapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication(teamsAuthConfig(settings)));
stockAdapter.onTurnError = async () => undefined;

/** `process` into a response that only records, as the public entry does. */
const stockEntry: TurnEntry = async (req, logic) => {
  let status = 200;
  const res = {
    socket: undefined,
    status: (code: number) => {
      status = code;
    },
    send: () => undefined,
    header: () => undefined,
    end: () => undefined,
  };
  await stockAdapter.process(req, res, logic);
  return { status };
};

const variants: Record<string, TurnEntry> = {
  stock: stockEntry,
  public: turnEntry(bridgeAdapter, 'public'),
  direct: turnEntry(bridgeAdapter, 'direct'),
};

/** A user's message as Teams sends it (the wire tests' shape), serialised once. */
const wire = JSON.stringify({
  type: 'message',
  id: '1732100000001',
  timestamp: new Date().toISOString(),
  localTimestamp: new Date().toISOString(),
  serviceUrl: 'https://smba.trafficmanager.net/amer/',
  channelId: 'msteams',
  from: { id: '29:1abc', name: 'Ana Lima', aadObjectId: '00000000-0000-0000-0000-000000000001' },
  conversation: { conversationType: 'personal', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', id: 'a:1conversation' },
  recipient: { id: '28:bot', name: 'Support Bot' },
  entities: [{ locale: 'en-US', country: 'US', platform: 'Web', timezone: 'America/Los_Angeles', type: 'clientInfo' }],
  channelData: { tenant: { id: '72f988bf-86f1-41af-91ab-2d7cd011db47' } },
  locale: 'en-US',
  textFormat: 'plain',
  text: 'My laptop will not start after the update, can someone help?',
  attachments: [{ contentType: 'text/html', content: '<p>My laptop will not start after the update, can someone help?</p>' }],
});

const logic = async (context: TurnContext) => {
  if (context.activity.type !== 'message') throw new Error('not a message');
};

async function run(entry: TurnEntry, n: number): Promise<number> {
  const started = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const req = { method: 'POST', headers: {}, body: JSON.parse(wire) } as unknown as express.Request;
    const answer = await entry(req, logic);
    if (answer.status !== 200) throw new Error(`answered ${answer.status}`);
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / n; // µs per message
}

async function main(): Promise<void> {
  for (const entry of Object.values(variants)) await run(entry, 2000); // warm-up
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, entry] of Object.entries(variants)) samples[name].push(await run(entry, MESSAGES));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const direct = median(samples.direct);
  console.log(`Teams turn entry, CPU per inbound message (median of ${ROUNDS} rounds of ${MESSAGES}), Node ${process.version}`);
  for (const [name, xs] of Object.entries(samples)) {
    const m = median(xs);
    console.log(
      `  ${name.padEnd(7)} ${m.toFixed(1).padStart(7)} µs   ${(m / direct).toFixed(2)}x direct   rounds: ${xs.map((x) => x.toFixed(1)).join(', ')}`,
    );
  }
}

void main();
