/**
 * The Teams relay with the store on Redis (REDIS_URL), as a share of the same run in memory.
 * Reuses this invocation's in-memory relay and echo runs when the `relay` scenario ran first.
 */
import { round } from '../lib/stats';
import { accountingOf, phase, redisReachable, relayMarkdown, runRelay, type RelayRun } from './relay-teams';
import type { Scenario, ScenarioResult, Target } from './types';

export const relayRedis: Scenario = {
  name: 'redis',
  title: 'Teams relay on Redis vs in memory',
  byDefault: true,
  async run(ctx): Promise<ScenarioResult> {
    const o = ctx.options;
    const problem = await redisReachable(o.redisUrl);
    if (problem) {
      return { name: 'redis', title: this.title, status: 'skipped', reason: problem, targets: [], accounting: [], data: {}, markdown: `Skipped: ${problem}.` };
    }
    const echo = (ctx.shared.get('echo') as RelayRun | undefined) ?? (await runRelay(ctx, 'echo'));
    const memory = (ctx.shared.get('bridge-memory') as RelayRun | undefined) ?? (await runRelay(ctx, 'bridge', 'memory'));
    const redis = await runRelay(ctx, 'bridge', 'redis');
    const ex = (r: RelayRun) => phase(r, 'exchange')?.exchangesPerSecond ?? NaN;
    const vsMemory = ex(redis) / ex(memory);
    const vsEcho = ex(redis) / ex(echo);
    const accounting = accountingOf(redis);
    const failure = redis.failure;
    const ok = !failure && accounting.every((l) => l.ok);
    const pct = (x: number) => (Number.isFinite(x) ? `${round(x * 100, 1)}%` : 'n/a');
    const targets: Target[] = [
      { name: 'Relay throughput vs echo bot (Redis)', goal: '>= 50%', value: pct(vsEcho), met: Number.isFinite(vsEcho) ? vsEcho >= 0.5 : null },
      { name: 'No message lost or duplicated (Redis)', goal: '0', value: ok ? '0' : 'FAILED', met: ok },
    ];
    const markdown = [
      relayMarkdown(o, [redis]),
      '',
      `Redis exchanges/s as a share of in memory: **${pct(vsMemory)}**; of the echo bot: **${pct(vsEcho)}** (Redis at ${o.redisUrl.replace(/\/\/[^@]*@/, '//***@')}, same machine).`,
    ].join('\n');
    return { name: 'redis', title: this.title, status: ok ? 'ok' : 'failed', reason: failure, targets, accounting, data: { redis, ratioToMemory: vsMemory, ratioToEcho: vsEcho }, markdown };
  },
};
