/**
 * Scale-out: the relay exchange with 1, 2 and 3 bridge processes on one Redis (one namespace),
 * every user and agent request sent to the next process in turn (a load balancer without sticky
 * sessions; the console event stream read from every process, each message counted once). The
 * configurations' rounds are interleaved. Reported as exchanges/s and as server CPU ms per
 * brokered message: all bridge processes plus Redis (INFO cpu), the figure a busy or different
 * machine barely moves.
 */
import { round } from '../lib/stats';
import { accountingOf, cpuPerMessage, phase, redisReachable, relayMarkdown, runRelays, type RelayRun } from './relay-teams';
import type { Scenario, ScenarioResult, Target } from './types';

export const scaleOut: Scenario = {
  name: 'scale',
  title: 'Scale-out: 1, 2, 3 bridge processes on one Redis',
  byDefault: true,
  async run(ctx): Promise<ScenarioResult> {
    const o = ctx.options;
    const problem = await redisReachable(o.redisUrl);
    if (problem) {
      return {
        name: 'scale',
        title: this.title,
        status: 'skipped',
        reason: problem,
        targets: [],
        accounting: [],
        data: {},
        markdown: `Skipped: ${problem}.`,
      };
    }
    const counts = [...new Set(o.scaleProcesses)].sort((a, b) => a - b);
    const runs = await runRelays(
      ctx,
      counts.map((processes) => ({ server: 'bridge' as const, store: 'redis' as const, processes })),
      { bursts: false, openLoop: false },
    );
    const single = runs[counts.indexOf(1)] as RelayRun | undefined;
    const redisScenario = ctx.shared.get('bridge-redis') as RelayRun | undefined;
    const base = cpuPerMessage(single);
    const rows = runs.map((run, i) => {
      const p = phase(run, 'exchange');
      const cpu = cpuPerMessage(run);
      const rounds = run.phases.filter((x) => x.phase.startsWith('exchange'));
      const redisMs = rounds.reduce((n, x) => n + (x.redisCpuMs ?? 0), 0);
      const allMs = rounds.reduce((n, x) => n + x.serverCpuMs + (x.redisCpuMs ?? 0), 0);
      return {
        processes: counts[i],
        exchangesPerSecond: p?.exchangesPerSecond ?? NaN,
        cpuMsPerMessage: cpu,
        vsSingle: cpu / base,
        redisShare: allMs > 0 ? redisMs / allMs : NaN,
      };
    });
    const accounting = accountingOf(...runs);
    const failure = runs.find((r) => r.failure)?.failure;
    const ok = !failure && accounting.every((l) => l.ok);
    const most = rows[rows.length - 1];
    const targets: Target[] = [
      {
        name: `CPU per brokered message, ${most?.processes ?? '?'} processes / 1 process (Redis)`,
        goal: '<= 1.3x',
        value: most && Number.isFinite(most.vsSingle) ? `${round(most.vsSingle, 2)}x` : 'n/a',
        met: most && Number.isFinite(most.vsSingle) && most.processes > 1 ? most.vsSingle <= 1.3 : null,
      },
      { name: 'No message lost or duplicated (scale-out)', goal: '0', value: ok ? '0' : 'FAILED', met: ok },
    ];
    const f = (x: number, d = 3) => (Number.isFinite(x) ? String(round(x, d)) : 'n/a');
    const lines = [
      `${o.chats} chats on one Redis, ${o.messages} exchanges per chat per round, ${o.rounds} rounds per configuration, interleaved; requests round robin over the processes.`,
      '',
      '| bridge processes | exchanges/s (median round) | CPU ms per brokered message (bridges + Redis, median) | vs 1 process | Redis share of that CPU |',
      '| ---: | ---: | ---: | ---: | ---: |',
      ...rows.map(
        (r) =>
          `| ${r.processes} | ${f(r.exchangesPerSecond, 1)} | ${f(r.cpuMsPerMessage, 4)} | ${f(r.vsSingle, 2)}x | ${Number.isFinite(r.redisShare) ? `${round(r.redisShare * 100, 1)}%` : 'n/a'} |`,
      ),
    ];
    if (redisScenario)
      lines.push(
        '',
        `Single-process Redis figure from the redis scenario (same code, its own run): ${f(cpuPerMessage(redisScenario), 4)} CPU ms per brokered message.`,
      );
    lines.push('', relayMarkdown(o, runs));
    return {
      name: 'scale',
      title: this.title,
      status: ok ? 'ok' : 'failed',
      reason: failure,
      targets,
      accounting,
      data: { runs, rows },
      markdown: lines.join('\n'),
    };
  },
};
