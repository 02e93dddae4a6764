/**
 * Relay runs: one server under test (a bridge of one or more processes on one store, or an echo
 * bot) with its fake platform and its driver, opened and warmed up; then measured exchange
 * rounds, which `runRelays` interleaves across servers (A B A B A B) so that whatever else the
 * machine does falls on all of them alike; then each server's other phases.
 */
import { randomBytes } from 'node:crypto';
import { startChild, type ChildHandle } from '../lib/child';
import { Driver, type Agent, type PhaseResult } from '../lib/driver';
import { startFakeConnector } from '../lib/fake-connector';
import { BENCH_SLACK_TOKEN, startFakeSlackApi } from '../lib/fake-slack-api';
import { census, flushNamespace, RedisInfo, type KeyCensus } from '../lib/redis-info';
import { describePhase } from './relay-figures';
import { BENCH_SLACK_SIGNING_SECRET, slackWire } from '../lib/wire';
import { round } from '../lib/stats';
import type { ScenarioContext } from './types';

export interface RelaySpec {
  server: 'bridge' | 'echo';
  store?: 'memory' | 'redis';
  /** Where the users are (default Teams). */
  platform?: 'teams' | 'slack';
  /** Bridge processes on one store (Redis when more than one); requests round robin. */
  processes?: number;
}

/** What one relayed message leaves behind (see `footprint`). */
export interface Footprint {
  messages: number;
  heapBytesPerMessage: number;
  keysPerMessage: number;
  /** Keys with more than 15 minutes left, added per message: the target is 0. */
  longLivedKeysPerMessage: number;
  redisBytesPerMessage?: number;
  before: KeyCensus;
  after: KeyCensus;
}

export interface RelayRun {
  server: 'bridge' | 'echo';
  /** Where the users are (default Teams). */
  platform?: 'teams' | 'slack';
  store?: 'memory' | 'redis';
  processes?: number;
  chats: number;
  messages: number;
  setup?: { seconds: number; perSecond: number };
  phases: PhaseResult[];
  connector: { posts: number; puts: number; connections: number };
  memoryAfter?: { rss: number; heapUsed: number };
  footprint?: Footprint;
  /** Whole-process CPU profile (node --cpu-prof), when profiling. */
  profile?: string;
  /** Per-phase CPU profiles (node:inspector), when profiling. */
  phaseProfiles?: Record<string, string>;
  failure?: string;
}

export interface OpenRelay {
  spec: RelaySpec;
  run: RelayRun;
  what: string;
  tag: string;
  namespace: string;
  children: ChildHandle[];
  driver?: Driver;
  redis?: RedisInfo;
  close(): Promise<void>;
}

export function benchAgents(count: number): Agent[] {
  return Array.from({ length: count }, (_, i) => ({ name: `Agent ${i + 1}`, token: `bench-${i}-${randomBytes(12).toString('hex')}` }));
}

export function describeServer(spec: RelaySpec, echoMode: string): string {
  const slack = spec.platform === 'slack';
  if (spec.server === 'echo') return slack ? `echo app (slack${echoMode === 'lean' ? ', lean' : ''})` : `echo bot (${echoMode})`;
  const n = spec.processes ?? 1;
  return `bridge (${spec.store ?? 'memory'}${slack ? ', slack' : ''}${n > 1 ? `, ${n} processes` : ''})`;
}

/** Start the server (children), its fake platform and the driver; open the chats; warm up. */
export async function openRelay(ctx: ScenarioContext, spec: RelaySpec): Promise<OpenRelay> {
  const o = ctx.options;
  const { server } = spec;
  const store = spec.store ?? 'memory';
  const processes = server === 'bridge' ? Math.max(1, spec.processes ?? 1) : 1;
  if (processes > 1 && store !== 'redis') throw new Error('several bridge processes need the Redis store');
  const agents = benchAgents(o.agents);
  const slack = spec.platform === 'slack';
  const fake = slack ? await startFakeSlackApi() : await startFakeConnector();
  const slackConfig = slack
    ? { botToken: BENCH_SLACK_TOKEN, signingSecret: BENCH_SLACK_SIGNING_SECRET, apiUrl: (fake as { apiUrl: string }).apiUrl }
    : undefined;
  const tag = `${server}-${store}${slack ? '-slack' : ''}${processes > 1 ? `-x${processes}` : ''}`;
  const profileName = ctx.profileDir ? `${tag}-${Date.now()}.cpuprofile` : undefined;
  const namespace = `bench-${process.pid}-${Date.now()}-${randomBytes(3).toString('hex')}`;
  const run: RelayRun = {
    server,
    platform: spec.platform ?? 'teams',
    store: server === 'bridge' ? store : undefined,
    ...(processes > 1 ? { processes } : {}),
    chats: o.chats,
    messages: o.messages,
    phases: [],
    connector: { posts: 0, puts: 0, connections: 0 },
  };
  const what = describeServer(spec, o.echoMode);
  let closed = false;
  const open: OpenRelay = {
    spec,
    run,
    what,
    tag,
    namespace,
    children: [],
    async close() {
      if (closed) return;
      closed = true;
      await open.driver?.close();
      await Promise.all(open.children.map((c) => c.stop()));
      const c = fake.counts as { posts: number; puts?: number; updates?: number; connections: number };
      run.connector = { posts: c.posts, puts: c.puts ?? c.updates ?? 0, connections: c.connections };
      await fake.close();
      if (store === 'redis' && server === 'bridge') await flushNamespace(o.redisUrl, namespace).catch(() => undefined);
      open.redis?.close();
      if (profileName && ctx.profileDir) run.profile = `${ctx.profileDir}/${profileName}`;
    },
  };
  try {
    const profiling = { cpuProfileDir: ctx.profileDir, cpuProfileName: profileName };
    if (server === 'bridge') {
      for (let i = 0; i < processes; i++) {
        open.children.push(
          await startChild('server-bridge.ts', {
            config: {
              redisUrl: store === 'redis' ? o.redisUrl : undefined,
              namespace,
              memoryEngine: o.memoryEngine,
              agents,
              queueTimeoutSeconds: 3600,
              slack: slackConfig,
            },
            ...(i === 0 ? profiling : {}),
          }),
        );
      }
    } else {
      open.children.push(
        slack
          ? await startChild('server-echo-slack.ts', { config: { ...slackConfig, mode: o.echoMode }, ...profiling })
          : await startChild('server-echo.ts', { config: { mode: o.echoMode }, ...profiling }),
      );
    }
    if (store === 'redis' && server === 'bridge') open.redis = await RedisInfo.connect(o.redisUrl);
    const redis = open.redis;
    open.driver = new Driver(server, open.children[0], fake, agents, {
      maxSockets: Math.max(1, Math.floor(o.sockets / processes)),
      wire: slack ? slackWire() : undefined,
      more: open.children.slice(1),
      redisCpuMs: redis ? () => redis.cpuMs() : undefined,
    });

    ctx.log(`${what}: opening ${o.chats} chats`);
    run.setup = await open.driver.setup(o.chats, o.setupConcurrency);
    if (server === 'bridge') ctx.log(`${what}: ${o.chats} live chats in ${run.setup.seconds.toFixed(1)} s`);

    // Warm-up (JIT, sockets, caches, heap sizing): checked but not reported as a result.
    // As long as a measured round: a short warm-up left the first round up to 30% slower than
    // the next ones (the JIT and V8's young generation were still growing), for both servers.
    ctx.log(`${what}: warm-up, ${o.chats} chats x ${o.messages} messages`);
    const warm = await open.driver.burst('exchange', o.messages, o.idleMs);
    warm.phase = 'warm-up';
    run.phases.push(warm);
  } catch (e) {
    run.failure = (e as Error).message;
  }
  return open;
}

/** One measured burst of `kind`, recorded in the run. */
async function measuredBurst(
  ctx: ScenarioContext,
  open: OpenRelay,
  kind: 'user' | 'agent' | 'exchange',
  name: string,
  label: string,
): Promise<void> {
  const { driver, run } = open;
  if (!driver || driver.poisoned || run.failure) return;
  const o = ctx.options;
  const child = open.children[0];
  ctx.log(`${open.what}: ${label}, ${o.chats} chats x ${o.messages} messages`);
  if (ctx.profileDir) await child.call('profile-start');
  const r = await driver.burst(kind, o.messages, o.idleMs);
  if (ctx.profileDir) {
    const file = `${ctx.profileDir}/${open.tag}-${kind}-${Date.now()}.cpuprofile`;
    await child.call('profile-stop', { file });
    run.phaseProfiles = { ...run.phaseProfiles, [label]: file };
  }
  r.phase = name;
  run.phases.push(r);
  ctx.log(`${open.what}:   ${describePhase(r)}`);
}

/** The median exchange round is the result; the others are listed as "(other round)". */
function markMedian(run: RelayRun): void {
  const rounds = run.phases.filter((p) => p.phase === 'exchange');
  if (rounds.length < 2) return;
  const mid = [...rounds].sort((a, b) => (a.exchangesPerSecond ?? 0) - (b.exchangesPerSecond ?? 0))[Math.floor(rounds.length / 2)];
  for (const r of rounds) if (r !== mid) r.phase = 'exchange (other round)';
}

export interface RelayPlan {
  /** The bridge's one-way bursts (users -> agents, agents -> users). Default true. */
  bursts?: boolean;
  /** The open-loop latency phase (when --latency-seconds > 0). Default true. */
  openLoop?: boolean;
  /** What relayed messages leave behind (heap, keys and their TTLs): bridge runs. Default false. */
  footprint?: boolean;
}

/**
 * Open every server, then the exchange rounds interleaved (round 1 of each, round 2 of each,
 * ...), then each server's other phases, one server at a time, each closed when done.
 */
export async function runRelays(ctx: ScenarioContext, specs: RelaySpec[], plan: RelayPlan = {}): Promise<RelayRun[]> {
  const o = ctx.options;
  const opened: OpenRelay[] = [];
  try {
    for (const spec of specs) opened.push(await openRelay(ctx, spec));
    for (let round = 1; round <= o.rounds; round++) {
      for (const open of opened) {
        await measuredBurst(ctx, open, 'exchange', 'exchange', o.rounds > 1 ? `exchange (round ${round} of ${o.rounds})` : 'exchange');
      }
    }
    for (const open of opened) {
      markMedian(open.run);
      await finish(ctx, open, plan);
      await open.close();
    }
  } finally {
    for (const open of opened) await open.close().catch(() => undefined);
  }
  return opened.map((x) => x.run);
}

/** One server alone: everything `runRelays` does for one. */
export async function runRelay(
  ctx: ScenarioContext,
  server: 'bridge' | 'echo',
  store: 'memory' | 'redis' = 'memory',
  platform: 'teams' | 'slack' = 'teams',
): Promise<RelayRun> {
  return (await runRelays(ctx, [{ server, store, platform }]))[0];
}

async function finish(ctx: ScenarioContext, open: OpenRelay, plan: RelayPlan): Promise<void> {
  const { driver, run } = open;
  const o = ctx.options;
  try {
    if (!driver || run.failure) return;
    if (open.spec.server === 'bridge' && plan.bursts !== false) {
      await measuredBurst(ctx, open, 'user', 'users -> agents', 'users -> agents');
      await measuredBurst(ctx, open, 'agent', 'agents -> users', 'agents -> users');
    }
    // Before the open loop, so a latency-phase failure cannot hide it.
    if (!driver.poisoned && plan.footprint && open.spec.server === 'bridge' && open.children.length === 1) {
      run.footprint = await footprint(ctx, open);
    }
    if (!driver.poisoned && o.latencySeconds > 0 && plan.openLoop !== false) {
      // Start from a collected heap. The bursts before leave a few hundred MB of garbage, and
      // the major GC that clears it (a 10-30 ms pause plus incremental steps) would otherwise
      // land in this window by chance and be charged to 500 msg/s; the GCs this load causes
      // itself still count.
      await Promise.all(open.children.map((c) => c.call('memory')));
      ctx.log(`${open.what}: open loop at ${o.rate} msg/s for ${o.latencySeconds} s`);
      const r = await driver.openLoop(o.rate, o.latencySeconds, o.idleMs);
      run.phases.push(r);
      ctx.log(`${open.what}:   ${describePhase(r)}`);
    }
    run.failure = driver.poisoned;
    if (driver.strays > 0) run.failure ??= `${driver.strays} tagged messages arrived outside any phase`;
    const mem = await open.children[0].call('memory');
    run.memoryAfter = { rss: mem.rss, heapUsed: mem.heapUsed };
  } catch (e) {
    run.failure ??= (e as Error).message;
  }
}

/**
 * What relayed messages leave behind: after full GCs, the heap and every key with its TTL; one
 * exchange burst (each chat: `messages` user messages and as many replies); the same again.
 * Heap and keys per brokered message, and keys that outlive 15 minutes per message (target 0:
 * a message's only lasting trace is its entry in the chat's log, a list item, not a key).
 */
async function footprint(ctx: ScenarioContext, open: OpenRelay): Promise<Footprint> {
  const o = ctx.options;
  const child = open.children[0];
  const read = async () => {
    const mem = await child.call('memory');
    const ttls = open.redis
      ? await open.redis.ttls(open.namespace)
      : new Map<string, number>(await child.call<[string, number][]>('keyTtls'));
    return { heap: mem.heapUsed as number, census: census(ttls), redisBytes: open.redis ? await open.redis.usedMemory() : undefined };
  };
  ctx.log(`${open.what}: footprint, ${o.chats} chats x ${o.messages} exchanges`);
  const before = await read();
  const r = await open.driver!.burst('exchange', o.messages, o.idleMs);
  r.phase = 'footprint (not a throughput figure)';
  open.run.phases.push(r);
  const after = await read();
  const messages = r.ledgers.reduce((n, l) => n + l.delivered, 0);
  const per = (x: number) => round(x / Math.max(1, messages), 3);
  return {
    messages,
    heapBytesPerMessage: per(after.heap - before.heap),
    keysPerMessage: per(after.census.keys - before.census.keys),
    longLivedKeysPerMessage: per(after.census.longLived - before.census.longLived),
    ...(after.redisBytes !== undefined && before.redisBytes !== undefined
      ? { redisBytesPerMessage: per(after.redisBytes - before.redisBytes) }
      : {}),
    before: before.census,
    after: after.census,
  };
}

export { cpuPerExchange, cpuPerMessage, describePhase } from './relay-figures';
export { flushNamespace, redisReachable } from '../lib/redis-info';
