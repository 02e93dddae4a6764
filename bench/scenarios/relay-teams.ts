/**
 * Teams relay: N live chats; users POST Bot Framework activities to `/api/messages` (auth off on
 * loopback, `serviceUrl` at the fake connector); agents read the console event stream and answer
 * through the console API. The same users then load a bare echo bot on the same stack, the
 * ceiling. See bench/README.md for what each number means.
 */
import { randomBytes } from 'node:crypto';
import { startChild, type ChildHandle } from '../lib/child';
import { Driver, type Agent, type PhaseResult } from '../lib/driver';
import { startFakeConnector } from '../lib/fake-connector';
import { BENCH_SLACK_TOKEN, startFakeSlackApi } from '../lib/fake-slack-api';
import { BENCH_SLACK_SIGNING_SECRET, slackWire } from '../lib/wire';
import type { LedgerSummary } from '../lib/ledger';
import { round } from '../lib/stats';
import type { BenchOptions, Scenario, ScenarioContext, ScenarioResult, Target } from './types';

export interface RelayRun {
  server: 'bridge' | 'echo';
  /** Where the users are (default Teams). */
  platform?: 'teams' | 'slack';
  store?: 'memory' | 'redis';
  chats: number;
  messages: number;
  setup?: { seconds: number; perSecond: number };
  phases: PhaseResult[];
  connector: { posts: number; puts: number; connections: number };
  memoryAfter?: { rss: number; heapUsed: number };
  /** Whole-process CPU profile (node --cpu-prof), when profiling. */
  profile?: string;
  /** Per-phase CPU profiles (node:inspector), when profiling. */
  phaseProfiles?: Record<string, string>;
  failure?: string;
}

export function benchAgents(count: number): Agent[] {
  return Array.from({ length: count }, (_, i) => ({ name: `Agent ${i + 1}`, token: `bench-${i}-${randomBytes(12).toString('hex')}` }));
}

export function phase(run: RelayRun | undefined, name: string): PhaseResult | undefined {
  return run?.phases.find((p) => p.phase === name);
}

export function accountingOf(...runs: (RelayRun | undefined)[]): LedgerSummary[] {
  return runs.flatMap((r) => (r ? r.phases.flatMap((p) => p.ledgers.map((l) => ({ ...l, name: `${label(r)} ${l.name}` }))) : []));
}

function label(r: RelayRun): string {
  const on = r.platform === 'slack' ? ', slack' : '';
  return r.server === 'echo' ? `echo ${r.platform === 'slack' ? 'app (slack)' : 'bot'}:` : `bridge (${r.store}${on}):`;
}

/** One server child, one connector, one driver: setup, warm-up, the measured phases, tear-down. */
export async function runRelay(
  ctx: ScenarioContext,
  server: 'bridge' | 'echo',
  store: 'memory' | 'redis' = 'memory',
  platform: 'teams' | 'slack' = 'teams',
): Promise<RelayRun> {
  const o = ctx.options;
  const agents = benchAgents(o.agents);
  const slack = platform === 'slack';
  const fake = slack ? await startFakeSlackApi() : await startFakeConnector();
  const slackConfig = slack ? { botToken: BENCH_SLACK_TOKEN, signingSecret: BENCH_SLACK_SIGNING_SECRET, apiUrl: (fake as { apiUrl: string }).apiUrl } : undefined;
  const tag = `${server}-${store}${slack ? '-slack' : ''}`;
  const profileName = ctx.profileDir ? `${tag}-${Date.now()}.cpuprofile` : undefined;
  const namespace = `bench-${process.pid}-${Date.now()}`;
  let child: ChildHandle | undefined;
  let driver: Driver | undefined;
  const run: RelayRun = { server, platform, store: server === 'bridge' ? store : undefined, chats: o.chats, messages: o.messages, phases: [], connector: { posts: 0, puts: 0, connections: 0 } };
  try {
    const profiling = { cpuProfileDir: ctx.profileDir, cpuProfileName: profileName };
    child =
      server === 'bridge'
        ? await startChild('server-bridge.ts', {
            config: { redisUrl: store === 'redis' ? o.redisUrl : undefined, namespace, agents, queueTimeoutSeconds: 3600, slack: slackConfig },
            ...profiling,
          })
        : slack
          ? await startChild('server-echo-slack.ts', { config: { ...slackConfig, mode: o.echoMode }, ...profiling })
          : await startChild('server-echo.ts', { config: { mode: o.echoMode }, ...profiling });
    driver = new Driver(server, child, fake, agents, o.sockets, slack ? slackWire() : undefined);
    const what = server === 'bridge' ? `bridge (${store}${slack ? ', slack' : ''})` : slack ? `echo app (slack${o.echoMode === 'lean' ? ', lean' : ''})` : `echo bot (${o.echoMode})`;

    ctx.log(`${what}: opening ${o.chats} chats`);
    run.setup = await driver.setup(o.chats, o.setupConcurrency);
    if (server === 'bridge') ctx.log(`${what}: ${o.chats} live chats in ${run.setup.seconds.toFixed(1)} s`);

    // Warm-up (JIT, sockets, caches, heap sizing): checked but not reported as a result.
    // As long as a measured round: a short warm-up left the first round up to 30% slower than
    // the next ones (the JIT and V8's young generation were still growing), for both servers.
    ctx.log(`${what}: warm-up, ${o.chats} chats x ${o.messages} messages`);
    const warm = await driver.burst('exchange', o.messages, o.idleMs);
    warm.phase = 'warm-up';
    run.phases.push(warm);

    const phases: ['user' | 'agent' | 'exchange', string][] =
      server === 'bridge'
        ? [
            ['user', 'users -> agents'],
            ['agent', 'agents -> users'],
            ['exchange', 'exchange'],
          ]
        : [['exchange', 'exchange']];
    for (const [kind, name] of phases) {
      // The headline phase runs several times: one burst moves with whatever else the machine
      // does (the echo bot's by up to 10%); the median round is the result.
      const rounds = kind === 'exchange' ? o.rounds : 1;
      const results: PhaseResult[] = [];
      for (let round = 1; round <= rounds; round++) {
        if (driver.poisoned) break;
        ctx.log(`${what}: ${name}${rounds > 1 ? ` (round ${round} of ${rounds})` : ''}, ${o.chats} chats x ${o.messages} messages`);
        if (ctx.profileDir) await child.call('profile-start');
        const r = await driver.burst(kind, o.messages, o.idleMs);
        if (ctx.profileDir) {
          const file = `${ctx.profileDir}/${tag}-${kind}-${Date.now()}.cpuprofile`;
          await child.call('profile-stop', { file });
          (run.phaseProfiles ??= {})[rounds > 1 ? `${name} ${round}` : name] = file;
        }
        r.phase = name;
        results.push(r);
        run.phases.push(r);
        ctx.log(`${what}:   ${describe(r)}`);
      }
      if (results.length > 1) {
        const median = [...results].sort((a, b) => (a.exchangesPerSecond ?? 0) - (b.exchangesPerSecond ?? 0))[Math.floor(results.length / 2)];
        for (const r of results) if (r !== median) r.phase = `${name} (other round)`;
      }
    }
    if (!driver.poisoned && o.latencySeconds > 0) {
      // Start from a collected heap. The bursts before leave a few hundred MB of garbage, and
      // the major GC that clears it (a 10-30 ms pause plus incremental steps) would otherwise
      // land in this window by chance and be charged to 500 msg/s; the GCs this load causes
      // itself still count.
      await child.call('memory');
      ctx.log(`${what}: open loop at ${o.rate} msg/s for ${o.latencySeconds} s`);
      const r = await driver.openLoop(o.rate, o.latencySeconds, o.idleMs);
      run.phases.push(r);
      ctx.log(`${what}:   ${describe(r)}`);
    }
    run.failure = driver.poisoned;
    if (driver.strays > 0) run.failure ??= `${driver.strays} tagged messages arrived outside any phase`;
    const mem = await child.call('memory');
    run.memoryAfter = { rss: mem.rss, heapUsed: mem.heapUsed };
  } catch (e) {
    run.failure = (e as Error).message;
  } finally {
    await driver?.close();
    await child?.stop();
    const c = fake.counts as { posts: number; puts?: number; updates?: number; connections: number };
    run.connector = { posts: c.posts, puts: c.puts ?? c.updates ?? 0, connections: c.connections };
    await fake.close();
    if (store === 'redis' && server === 'bridge') await flushNamespace(o.redisUrl, namespace).catch(() => undefined);
  }
  if (profileName && ctx.profileDir) run.profile = `${ctx.profileDir}/${profileName}`;
  return run;
}

function describe(r: PhaseResult): string {
  const rates = Object.entries(r.rates)
    .map(([k, v]) => `${k} ${v} msg/s`)
    .join(', ');
  const added = r.added ? `; added p99 ${Object.entries(r.added).map(([k, s]) => `${k} ${s.p99.toFixed(2)} ms`).join(', ')}` : '';
  const ok = r.ledgers.every((l) => l.ok) ? 'all delivered once' : 'ACCOUNTING FAILED';
  return `${rates}${r.exchangesPerSecond !== undefined ? `, ${r.exchangesPerSecond} exchanges/s` : ''}; server CPU ${r.serverCpuPercent}%, generator ${r.generatorCpuPercent}%${added}; ${ok}`;
}

/** Remove every key of a benchmark namespace from Redis. */
export async function flushNamespace(url: string, namespace: string): Promise<void> {
  const { createClient } = await import('@keyv/redis');
  const client = createClient({ url });
  await client.connect();
  try {
    let cursor = '0';
    do {
      const page = await client.scan(cursor, { MATCH: `${namespace}::*`, COUNT: 1000 });
      cursor = String(page.cursor);
      if (page.keys.length > 0) await client.del(page.keys);
    } while (cursor !== '0');
  } finally {
    client.destroy();
  }
}

export async function redisReachable(url: string): Promise<string | undefined> {
  try {
    const { createClient } = await import('@keyv/redis');
    const client = createClient({ url, socket: { connectTimeout: 2000, reconnectStrategy: false } });
    client.on('error', () => undefined);
    await client.connect();
    client.destroy();
    return undefined;
  } catch (e) {
    return `Redis at ${url} is not reachable (${(e as Error).message}); set REDIS_URL or --redis-url`;
  }
}

// ---------------------------------------------------------------------------------------------

const pct = (x: number) => `${round(x * 100, 1)}%`;

export const relayTeams: Scenario = {
  name: 'relay',
  title: 'Teams relay vs echo bot (in memory)',
  byDefault: true,
  async run(ctx) {
    const echo = await runRelay(ctx, 'echo');
    ctx.shared.set('echo', echo);
    const bridge = await runRelay(ctx, 'bridge', 'memory');
    ctx.shared.set('bridge-memory', bridge);
    return relayResult(ctx.options, echo, bridge);
  },
};

export function relayResult(o: BenchOptions, echo: RelayRun, bridge: RelayRun): ScenarioResult {
  const echoEx = phase(echo, 'exchange');
  const ex = phase(bridge, 'exchange');
  const ratio = echoEx?.exchangesPerSecond && ex?.exchangesPerSecond ? ex.exchangesPerSecond / echoEx.exchangesPerSecond : NaN;
  const open = phase(bridge, 'open loop');
  const p99 = open?.added ? Math.max(open.added.toAgent?.p99 ?? NaN, open.added.toUser?.p99 ?? NaN) : NaN;
  const accounting = accountingOf(echo, bridge);
  const failure = echo.failure ?? bridge.failure;
  const targets: Target[] = [
    { name: 'Relay throughput vs echo bot (memory)', goal: '>= 70%', value: Number.isFinite(ratio) ? pct(ratio) : 'n/a', met: Number.isFinite(ratio) ? ratio >= 0.7 : null },
    { name: `Added latency p99 at ${o.rate} msg/s`, goal: '< 10 ms', value: Number.isFinite(p99) ? `${p99.toFixed(2)} ms` : 'n/a', met: Number.isFinite(p99) ? p99 < 10 : null },
    { name: 'No message lost or duplicated (relay)', goal: '0', value: accounting.every((l) => l.ok) ? '0' : 'FAILED', met: !failure && accounting.every((l) => l.ok) },
  ];
  return {
    name: 'relay',
    title: 'Teams relay vs echo bot (in memory)',
    status: failure || !accounting.every((l) => l.ok) ? 'failed' : 'ok',
    reason: failure,
    targets,
    accounting,
    data: { echo, bridge, ratio },
    markdown: relayMarkdown(o, [echo, bridge], ratio),
  };
}

export function relayMarkdown(o: BenchOptions, runs: RelayRun[], ratio?: number): string {
  const lines: string[] = [];
  lines.push(`${o.chats} concurrent chats, ${o.messages} messages per chat per phase; open loop at ${o.rate} msg/s for ${o.latencySeconds} s.`);
  lines.push('');
  lines.push('| server | phase | users -> agents msg/s | agents -> users msg/s | exchanges/s | end-to-end p50 / p99 ms | added p50 / p95 / p99 ms | server CPU | generator CPU |');
  lines.push('| --- | --- | ---: | ---: | ---: | --- | --- | ---: | ---: |');
  for (const run of runs) {
    const slack = run.platform === 'slack';
    const who = run.server === 'echo' ? (slack ? `echo app (slack${o.echoMode === 'lean' ? ', lean' : ''})` : `echo bot (${o.echoMode})`) : `bridge (${run.store}${slack ? ', slack' : ''})`;
    for (const p of run.phases) {
      if (p.phase === 'warm-up') continue;
      const e2e = Object.entries(p.endToEnd).map(([k, s]) => `${short(k)} ${s.p50} / ${s.p99}`).join('; ');
      const added = p.added ? Object.entries(p.added).map(([k, s]) => `${short(k)} ${s.p50} / ${s.p95} / ${s.p99}`).join('; ') : '';
      const toAgent = run.server === 'echo' ? '' : p.rates.toAgent ?? '';
      lines.push(`| ${who} | ${p.phase} | ${toAgent} | ${p.rates.toUser ?? ''} | ${p.exchangesPerSecond ?? ''} | ${e2e} | ${added} | ${p.serverCpuPercent}% | ${p.generatorCpuPercent}% |`);
    }
    if (run.failure) lines.push(`| ${who} | **FAILED** | ${run.failure} | | | | | | |`);
  }
  if (ratio !== undefined) lines.push('', `Bridge exchanges/s as a share of the echo ${runs[0]?.platform === 'slack' ? 'app' : 'bot'}'s: **${Number.isFinite(ratio) ? pct(ratio) : 'n/a'}**.`);
  const setup = runs.find((r) => r.server === 'bridge')?.setup;
  if (setup) lines.push('', `Opening ${o.chats} chats through the real paths (message, offer card, Start, queue, agent accepts) took ${setup.seconds.toFixed(1)} s (${setup.perSecond.toFixed(0)} chats/s).`);
  return lines.join('\n');
}

function short(k: string): string {
  return k === 'toAgent' ? 'to agent' : 'to user';
}
