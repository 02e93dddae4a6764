/**
 * `npm run simulate:amazon-connect`: an Amazon Connect instance on your machine with a tiny agent
 * prompt, so the whole flow can be tried without an AWS account. Start it, start the bridge with
 * the environment it prints, chat with the bot (Teams via the Agents Playground / Emulator, Slack,
 * or the web chat), and answer as the agent here.
 *
 * Environment (optional): CONNECT_SIM_PORT (8788).
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { createInterface } from 'node:readline';
import { ATTACHMENT_TYPES, EVENT } from './items';
import { AmazonConnectSimulator } from './simulator';

const TYPES: Record<string, string> = Object.fromEntries(Object.entries(ATTACHMENT_TYPES).map(([type, ext]) => [ext, type]));
TYPES['.jpeg'] = 'image/jpeg';
/** A 1×1 PNG, for `image` without a path. */
const DOT_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

const HELP = `
  chats                  list chats              use <n>               pick a chat (default: newest)
  join [name]            accept the chat         <text>                write as the latest agent
  as <name> <text>       write as another agent  typing                show typing
  transfer [name]        to a second agent       supervisor <text>     a supervisor barges in
  system <text>          a contact-flow message  image [path]          send an image (a dot without path)
  file <path>            send a document         idle / returned       the customer's idle timer
  autodisconnect         idle customer dropped   end                   the agent ends the chat
  drop                   cut the chat's socket   expire                expire its ConnectionTokens
  throttle <op> [n]      429 the next n calls    fail <op> [n]         500 the next n calls
  agents <avail> [online] queue metrics          help / quit
`;

async function main(): Promise<void> {
  const print = (line: string): void => {
    process.stdout.write(`\r  [connect] ${line}\n> `);
  };
  const sim = await AmazonConnectSimulator.start({ port: Number(process.env.CONNECT_SIM_PORT ?? 8788), log: print });
  sim.setAgents({ available: 2, online: 2 });
  const env = Object.entries(sim.env()).map(([k, v]) => `${k}=${v}`);
  process.stdout.write(
    [
      '',
      `  Amazon Connect simulator on ${sim.url} (Connect API, Participant Service and WebSocket)`,
      `  Queue ${sim.state.queueId}: 2 agents available`,
      '',
      '  Start the bridge with:',
      `    DESK=amazon-connect ${env.slice(0, 3).join(' ')} \\`,
      `    ${env.slice(3, 5).join(' ')} \\`,
      // The simulator serves files from 127.0.0.1 over http, which the bridge refuses by default.
      `    ${env.slice(5).join(' ')} OUTBOUND_FETCH_ALLOW_PRIVATE_NETWORKS=true OUTBOUND_FETCH_ALLOW_HTTP=true npm start`,
      HELP,
    ].join('\n'),
  );

  sim.on('contact', (c) =>
    print(`new chat ${c.initialContactId} from ${c.customer.displayName}: ${c.initialMessage?.Content.split('\n')[0] ?? ''}`),
  );
  sim.on('item', (c, item) => {
    if (item.ParticipantId !== c.customer.participantId) return;
    if (item.Type === 'MESSAGE') print(`${item.DisplayName}: ${item.Content}`);
    else if (item.Type === 'ATTACHMENT') print(`${item.DisplayName} sent ${item.Attachments?.[0]?.AttachmentName}`);
    else if (item.ContentType === EVENT.left) print(`${item.DisplayName} left`);
  });

  let current: string | undefined;
  const chat = (): string => {
    const id = current ?? sim.latestContact()?.initialContactId;
    if (!id) throw new Error('no chat yet: ask the bot for an agent first');
    return id;
  };
  const fileFrom = (path: string) => ({
    name: basename(path),
    contentType: TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
    bytes: readFileSync(path),
  });
  const count = (n: string | undefined) => Number(n || 1);

  const commands: Record<string, (rest: string) => Promise<void> | void> = {
    help: () => void process.stdout.write(HELP),
    chats: () => {
      const all = [...sim.state.contacts.values()];
      if (all.length === 0) print('no chats yet');
      for (const [i, c] of all.entries()) print(`${i}: ${c.initialContactId} [${c.status}] ${c.customer.displayName}`);
    },
    use: (rest) => {
      current = [...sim.state.contacts.keys()][Number(rest)] ?? rest;
      print(`using ${chat()}`);
    },
    join: (rest) => void sim.agent.join(chat(), rest || 'Beth Anglin'),
    as: (rest) => {
      const [name, ...words] = rest.split(' ');
      sim.agent.say(chat(), words.join(' '), { as: name });
    },
    typing: () => void sim.agent.typing(chat()),
    transfer: (rest) => void sim.agent.transfer(chat(), rest || 'Carl Moss'),
    supervisor: (rest) => void sim.agent.supervisor(chat(), rest),
    system: (rest) => void sim.agent.system(chat(), rest),
    image: (rest) => void sim.agent.sendFile(chat(), rest ? fileFrom(rest) : { name: 'dot.png', contentType: 'image/png', bytes: DOT_PNG }),
    file: (rest) => void sim.agent.sendFile(chat(), fileFrom(rest)),
    idle: () => void sim.agent.idle(chat()),
    returned: () => void sim.agent.returned(chat()),
    autodisconnect: () => sim.agent.autoDisconnect(chat()),
    end: () => sim.agent.end(chat()),
    drop: () => print(`dropped ${sim.dropSockets(chat())} socket(s)`),
    expire: () => print(`expired ${sim.expireConnections(chat())} ConnectionToken(s)`),
    throttle: (rest) => {
      const [op, n] = rest.split(' ');
      sim.failNext(op, count(n), 'throttle');
    },
    fail: (rest) => {
      const [op, n] = rest.split(' ');
      sim.failNext(op, count(n), 'server');
    },
    agents: (rest) => {
      const [available, online] = rest.split(' ').map(Number);
      sim.setAgents({ available, ...(Number.isFinite(online) ? { online } : {}) });
    },
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
      else sim.agent.say(chat(), text);
    };
    run()
      .catch((e) => print(`error: ${(e as Error).message}`))
      .finally(() => rl.prompt());
  });
  rl.on('close', () => void commands.quit(''));
}

main().catch((e) => {
  process.stderr.write(`amazon connect simulator: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
