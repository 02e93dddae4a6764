/**
 * Slack relay: the same load as the Teams relay, through the Slack endpoint. Users POST signed
 * Events API requests (`message.im`) to `/slack/events` (Bolt checks every signature); the bridge
 * answers through Bolt's real Web API client pointed at a fast fake Slack API, which counts every
 * tagged text; agents work in the console as before. The ceiling is a bare echo app on the same
 * Bolt + express stack, answering each DM with `chat.postMessage`.
 */
import { round } from '../lib/stats';
import { accountingOf, compare, phase, relayMarkdown, runRelays } from './relay-teams';
import type { Scenario, ScenarioResult, Target } from './types';

export const relaySlack: Scenario = {
  name: 'slack',
  title: 'Slack relay vs echo app (in memory)',
  byDefault: true,
  async run(ctx): Promise<ScenarioResult> {
    const o = ctx.options;
    // Both open at once; their exchange rounds alternate.
    const [echo, bridge] = await runRelays(ctx, [
      { server: 'echo', platform: 'slack' },
      { server: 'bridge', store: 'memory', platform: 'slack' },
    ]);
    const c = compare(echo, bridge);
    const ratio = c.ratio;
    const open = phase(bridge, 'open loop');
    const p99 = open?.added ? Math.max(open.added.toAgent?.p99 ?? NaN, open.added.toUser?.p99 ?? NaN) : NaN;
    const accounting = accountingOf(echo, bridge);
    const failure = echo.failure ?? bridge.failure;
    const ok = !failure && accounting.every((l) => l.ok);
    const targets: Target[] = [
      {
        name: 'Slack relay throughput vs echo app (memory)',
        goal: '>= 70%',
        value: Number.isFinite(ratio) ? `${round(ratio * 100, 1)}%` : 'n/a',
        met: Number.isFinite(ratio) ? ratio >= 0.7 : null,
      },
      {
        name: 'Slack relay CPU per exchange, echo app / bridge (memory)',
        goal: 'reported',
        value: Number.isFinite(c.cpuRatio) ? `${round(c.cpuRatio * 100, 1)}%` : 'n/a',
        met: null,
      },
      {
        name: `Slack added latency p99 at ${o.rate} msg/s`,
        goal: '< 10 ms',
        value: Number.isFinite(p99) ? `${p99.toFixed(2)} ms` : 'n/a',
        met: Number.isFinite(p99) ? p99 < 10 : null,
      },
      { name: 'No message lost or duplicated (Slack relay)', goal: '0', value: ok ? '0' : 'FAILED', met: ok },
    ];
    return {
      name: 'slack',
      title: this.title,
      status: ok ? 'ok' : 'failed',
      reason: failure,
      targets,
      accounting,
      data: { echo, bridge, ratio, cpuRatio: c.cpuRatio, cpuMsPerExchange: { echo: c.echoCpuMs, bridge: c.bridgeCpuMs } },
      markdown: relayMarkdown(o, [echo, bridge], c),
    };
  },
};
