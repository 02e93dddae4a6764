/** Command-line flags: `--chats 1000 --messages 10 --only relay,memory` (also `--chats=1000`). */
import path from 'node:path';
import type { BenchOptions } from '../scenarios/types';

export const defaults: BenchOptions = {
  chats: 1000,
  messages: 10,
  rate: 500,
  latencySeconds: 10,
  rounds: 3,
  setupConcurrency: 64,
  agents: 10,
  sockets: 1024,
  idleMs: 15_000,
  echoMode: 'turn',
  memoryEngine: 'map',
  redisUrl: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
  memorySessions: [10_000, 50_000],
  memoryReal: 1000,
  broadcastRecipients: 10_000,
  broadcastRates: { teams: 200, slack: 50 },
  broadcastDefaultCheck: 300,
  scaleProcesses: [1, 2, 3],
  profile: false,
  outDir: path.resolve(__dirname, '..', 'results'),
  only: [],
  quiet: false,
};

export const usage = `npm run bench -- [flags]

  --only relay,redis,memory   scenarios to run (default: all: relay, redis, scale, memory, slack, broadcast)
  --chats N                   concurrent live chats in relay runs (default ${defaults.chats})
  --messages N                messages per chat in each burst phase (default ${defaults.messages})
  --rate N                    brokered msg/s, both directions, in the latency phase (default ${defaults.rate})
  --latency-seconds N         length of the latency phase; 0 skips it (default ${defaults.latencySeconds})
  --rounds N                  exchange bursts per server; the median is the result (default ${defaults.rounds})
  --agents N                  console agents sharing the chats (default ${defaults.agents})
  --sockets N                 keep-alive sockets from the load generator (default ${defaults.sockets})
  --setup-concurrency N       chats opened in parallel (default ${defaults.setupConcurrency})
  --sessions 10000,50000      open sessions for the memory scenario (default ${defaults.memorySessions.join(',')})
  --memory-real N             sessions opened through real HTTP paths to validate the seeded numbers (default ${defaults.memoryReal}; 0 skips)
  --broadcast-recipients N    broadcast fan-out recipients, 80% Teams / 20% Slack (default ${defaults.broadcastRecipients})
  --broadcast-rates teams=N,slack=N   configured sends/s of that run (default teams=${defaults.broadcastRates.teams},slack=${defaults.broadcastRates.slack})
  --broadcast-default-check N recipients of the run at the shipped rates (40/s, 20/s), two broadcasts at once (default ${defaults.broadcastDefaultCheck}; 0 skips)
  --scale-processes 1,2,3     bridge processes on one Redis in the scale scenario (default ${defaults.scaleProcesses.join(',')})
  --echo-mode turn|proactive|lean   how the echo bots answer (default ${defaults.echoMode}); lean: through
                              the bridge's own outbound clients (Teams BotConnector, Slack transport)
  --memory-engine map|keyv    the bridge's memory store engine in memory runs (default ${defaults.memoryEngine}); keyv:
                              keyv through its public API, the reference the map engine is measured against
  --redis-url URL             Redis for the Redis runs (default $REDIS_URL or redis://127.0.0.1:6379)
  --idle-ms N                 a phase fails after this long with no delivery (default ${defaults.idleMs})
  --profile                   CPU-profile the server children (bench/results/profiles) and print hot spots
  --out DIR                   where latest.json and latest.md go (default bench/results)
  --quiet                     no progress lines
`;

export function parseArgs(argv: string[]): BenchOptions {
  const o: BenchOptions = {
    ...defaults,
    memorySessions: [...defaults.memorySessions],
    scaleProcesses: [...defaults.scaleProcesses],
    broadcastRates: { ...defaults.broadcastRates },
    only: [],
  };
  const int = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`--${name} needs a non-negative number, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const take = () => value ?? argv[++i];
    switch (arg) {
      case '--only':
        o.only = take()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        break;
      case '--chats':
        o.chats = int('chats', take());
        break;
      case '--messages':
        o.messages = int('messages', take());
        break;
      case '--rate':
        o.rate = int('rate', take());
        break;
      case '--latency-seconds':
        o.latencySeconds = int('latency-seconds', take());
        break;
      case '--rounds':
        o.rounds = Math.max(1, int('rounds', take()));
        break;
      case '--agents':
        o.agents = Math.max(1, int('agents', take()));
        break;
      case '--sockets':
        o.sockets = Math.max(1, int('sockets', take()));
        break;
      case '--setup-concurrency':
        o.setupConcurrency = Math.max(1, int('setup-concurrency', take()));
        break;
      case '--sessions':
        o.memorySessions = take()
          .split(',')
          .map((s) => int('sessions', s.trim()));
        break;
      case '--scale-processes':
        o.scaleProcesses = take()
          .split(',')
          .map((s) => Math.max(1, int('scale-processes', s.trim())));
        break;
      case '--memory-real':
        o.memoryReal = int('memory-real', take());
        break;
      case '--broadcast-recipients':
        o.broadcastRecipients = Math.max(1, int('broadcast-recipients', take()));
        break;
      case '--broadcast-default-check':
        o.broadcastDefaultCheck = int('broadcast-default-check', take());
        break;
      case '--broadcast-rates':
        for (const part of take().split(',')) {
          const [k, v] = part.split('=').map((x) => x.trim());
          if (k !== 'teams' && k !== 'slack') throw new Error(`--broadcast-rates takes teams=N,slack=N, got ${part}`);
          o.broadcastRates[k] = Math.max(1, int('broadcast-rates', v));
        }
        break;
      case '--echo-mode': {
        const v = take();
        if (v !== 'turn' && v !== 'proactive' && v !== 'lean') throw new Error('--echo-mode is turn, proactive or lean');
        o.echoMode = v;
        break;
      }
      case '--memory-engine': {
        const v = take();
        if (v !== 'map' && v !== 'keyv') throw new Error('--memory-engine is map or keyv');
        o.memoryEngine = v;
        break;
      }
      case '--redis-url':
        o.redisUrl = take();
        break;
      case '--idle-ms':
        o.idleMs = int('idle-ms', take());
        break;
      case '--profile':
        o.profile = true;
        break;
      case '--out':
        o.outDir = path.resolve(take());
        break;
      case '--quiet':
        o.quiet = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write(usage);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown flag ${arg}\n\n${usage}`);
    }
  }
  return o;
}
