/**
 * `npm run simulate:servicenow`: a ServiceNow instance on your machine with a tiny agent prompt,
 * so the whole flow can be tried without an instance. Start it, start the bridge with the
 * environment it prints, chat with the bot (Teams via the Agents Playground / Emulator, or the
 * web chat), and answer as the agent here.
 *
 * Environment (all optional): SN_SIM_PORT (8787), BRIDGE_WEBHOOK_URL
 * (http://127.0.0.1:3978/servicenow/webhook), SERVICENOW_WEBHOOK_SECRET.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { createInterface } from 'node:readline';
import { demoScreenshotPng } from './demo-image';
import { DEFAULT_SIM_AUTH, ServiceNowSimulator } from './simulator';

const TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
};
const DEMO_PNG = demoScreenshotPng(); // a 64×64 "error dialog", drawn in code

const HELP = `
  chats                 list chats             use <n>            pick a chat (default: newest)
  accept [agent#]       take the chat          as <agent#> <text> write as another agent
  <text>                write as the agent     note <text>        private work note (not relayed)
  typing                show typing            image [path]       send an image (a demo one without path)
  file <path>           send a document        end                close the chat
  timeout               AWA queue timeout      online <n>         agents available in AWA
  help                  this list              quit               stop the simulator
`;

async function main(): Promise<void> {
  const secret = process.env.SERVICENOW_WEBHOOK_SECRET ?? 'local-simulator-webhook-secret';
  const webhook = process.env.BRIDGE_WEBHOOK_URL ?? 'http://127.0.0.1:3978/servicenow/webhook';
  const print = (line: string) => process.stdout.write(`\r  [servicenow] ${line}\n> `);
  const sim = await ServiceNowSimulator.start({ port: Number(process.env.SN_SIM_PORT ?? 8787), log: print });
  sim.setOutbound(webhook, { mode: 'header', headers: { token: secret } });
  sim.setAgentsOnline(sim.agents.length);
  const basic = DEFAULT_SIM_AUTH.basic!;
  process.stdout.write(
    [
      '',
      `  ServiceNow simulator on ${sim.url}, replying to ${webhook}`,
      `  Agents: ${sim.agents.map((a, i) => `${i} = ${a.name}`).join(', ')} (all available)`,
      '',
      '  Start the bridge with:',
      `    DESK=servicenow SERVICENOW_INSTANCE_URL=${sim.url} SERVICENOW_USERNAME=${basic.username} \\`,
      `    SERVICENOW_PASSWORD=${basic.password} SERVICENOW_WEBHOOK_SECRET=${secret} \\`,
      // The simulator serves agents' files from 127.0.0.1 over http, which the bridge refuses by default.
      `    OUTBOUND_FETCH_ALLOW_PRIVATE_NETWORKS=true OUTBOUND_FETCH_ALLOW_HTTP=true npm start`,
      HELP,
    ].join('\n'),
  );

  let current: string | undefined;
  const chat = (): string => {
    const id = current ?? [...sim.conversations.keys()].pop();
    if (!id) throw new Error('no chat yet: ask the bot for an agent first');
    return id;
  };
  const fileFrom = (path: string) => ({
    name: basename(path),
    contentType: TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
    bytes: readFileSync(path),
  });

  const commands: Record<string, (rest: string) => Promise<void> | void> = {
    help: () => void process.stdout.write(HELP),
    chats: () => {
      const all = [...sim.conversations.values()];
      if (all.length === 0) print('no chats yet');
      for (const [i, c] of all.entries()) print(`${i}: ${c.id} [${c.status}] ${c.opening.text.split('\n')[0]}`);
    },
    use: (rest) => {
      current = [...sim.conversations.keys()][Number(rest)] ?? rest;
      print(`using ${chat()}`);
    },
    accept: (rest) => sim.accept(chat(), Number(rest || 0)),
    as: (rest) => {
      const [index, ...words] = rest.split(' ');
      return sim.say(chat(), words.join(' '), { agentIndex: Number(index) }).then(() => undefined);
    },
    note: (rest) => sim.say(chat(), rest, { private: true }).then(() => undefined),
    typing: () => sim.typing(chat(), true),
    image: (rest) =>
      sim
        .sendFile(chat(), rest ? fileFrom(rest) : { name: 'screenshot.png', contentType: 'image/png', bytes: DEMO_PNG })
        .then(() => undefined),
    file: (rest) => sim.sendFile(chat(), fileFrom(rest)).then(() => undefined),
    end: () => sim.end(chat()),
    timeout: () => sim.timeout(chat()),
    online: (rest) => sim.setAgentsOnline(Number(rest)),
    quit: async () => {
      await sim.close();
      process.exit(0);
    },
  };

  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: '> ' });
  rl.prompt();
  rl.on('line', (line) => {
    const text = line.trim();
    const [word, ...rest] = text.split(' ');
    const command = commands[word];
    const run = async () => {
      if (!text) return;
      if (command) await command(rest.join(' '));
      else await sim.say(chat(), text, { agentIndex: sim.conversation(chat()).agents.at(-1) ?? 0 });
    };
    run()
      .catch((e) => print(`error: ${(e as Error).message}`))
      .finally(() => rl.prompt());
  });
  rl.on('close', () => void commands.quit(''));
}

main().catch((e) => {
  process.stderr.write(`servicenow simulator: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
