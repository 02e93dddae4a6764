/**
 * The Teams relay with the store on Redis (REDIS_URL), against the echo bot (its exchange rounds
 * interleaved with the bridge's) and as a share of this invocation's in-memory run when the
 * `relay` scenario ran first. CPU counts Redis's own (INFO cpu) besides the bridge process's.
 */
import { round } from '../lib/stats';
import {
  accountingOf,
  compare,
  comparisonLine,
  footprintMarkdown,
  footprintTargets,
  phase,
  redisReachable,
  relayMarkdown,
  runRelays,
  type RelayRun,
} from './relay-teams';
import type { Scenario, ScenarioResult, Target } from './types';

export const relayRedis: Scenario = {
  name: 'redis',
  title: 'Teams relay on Redis vs in memory',
  byDefault: true,
  async run(ctx): Promise<ScenarioResult> {
    const o = ctx.options;
    const problem = await redisReachable(o.redisUrl);
    if (problem) {
      return {
        name: 'redis',
        title: this.title,
        status: 'skipped',
        reason: problem,
        targets: [],
        accounting: [],
        data: {},
        markdown: `Skipped: ${problem}.`,
      };
    }
    const [echo, redis] = await runRelays(ctx, [{ server: 'echo' }, { server: 'bridge', store: 'redis' }], { footprint: true });
    ctx.shared.set('bridge-redis', redis);
    const memory = ctx.shared.get('bridge-memory') as RelayRun | undefined;
    const ex = (r: RelayRun | undefined) => phase(r, 'exchange')?.exchangesPerSecond ?? NaN;
    const vsMemory = ex(redis) / ex(memory);
    const c = compare(echo, redis);
    const accounting = accountingOf(echo, redis);
    const failure = echo.failure ?? redis.failure;
    const ok = !failure && accounting.every((l) => l.ok);
    const pct = (x: number) => (Number.isFinite(x) ? `${round(x * 100, 1)}%` : 'n/a');
    const targets: Target[] = [
      {
        name: 'Relay throughput vs echo bot (Redis)',
        goal: '>= 60%',
        value: pct(c.ratio),
        met: Number.isFinite(c.ratio) ? c.ratio >= 0.6 : null,
      },
      {
        name: 'Relay CPU per exchange, echo bot / bridge + Redis (Redis)',
        goal: '>= 60%',
        value: pct(c.cpuRatio),
        met: Number.isFinite(c.cpuRatio) ? c.cpuRatio >= 0.6 : null,
      },
      { name: 'No message lost or duplicated (Redis)', goal: '0', value: ok ? '0' : 'FAILED', met: ok },
      ...footprintTargets(redis),
    ];
    const markdown = [
      relayMarkdown(o, [echo, redis]),
      '',
      `${comparisonLine(c, 'Bridge on Redis', 'echo bot')} The bridge's CPU here is its process's plus Redis's.`,
      '',
      `Redis exchanges/s as a share of in memory (not interleaved: the in-memory run is the relay scenario's): **${pct(vsMemory)}** (Redis at ${o.redisUrl.replace(/\/\/[^@]*@/, '//***@')}, same machine; its CPU is read from INFO cpu, which counts every client of that Redis, so other users of a shared Redis inflate it).`,
      '',
      footprintMarkdown(redis),
    ].join('\n');
    return {
      name: 'redis',
      title: this.title,
      status: ok ? 'ok' : 'failed',
      reason: failure,
      targets,
      accounting,
      data: {
        echo,
        redis,
        ratioToMemory: vsMemory,
        ratioToEcho: c.ratio,
        cpuRatioToEcho: c.cpuRatio,
        cpuMsPerExchange: { echo: c.echoCpuMs, redis: c.bridgeCpuMs },
      },
      markdown,
    };
  },
};
