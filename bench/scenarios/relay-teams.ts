/**
 * Teams relay: N live chats; users POST Bot Framework activities to `/api/messages` (auth off on
 * loopback, `serviceUrl` at the fake connector); agents read the console event stream and answer
 * through the console API. The same users then load a bare echo bot on the same stack, the
 * ceiling. See bench/README.md for what each number means.
 */
import type { LedgerSummary } from '../lib/ledger';
import type { PhaseResult } from '../lib/driver';
import { round } from '../lib/stats';
import { cpuPerExchange, describeServer, runRelays, type RelayRun } from './relay-run';
import type { BenchOptions, Scenario, ScenarioResult, Target } from './types';

export {
  benchAgents,
  cpuPerExchange,
  cpuPerMessage,
  describeServer,
  flushNamespace,
  redisReachable,
  runRelay,
  runRelays,
  type RelayRun,
} from './relay-run';

export function phase(run: RelayRun | undefined, name: string): PhaseResult | undefined {
  return run?.phases.find((p) => p.phase === name);
}

export function accountingOf(...runs: (RelayRun | undefined)[]): LedgerSummary[] {
  return runs.flatMap((r) => (r ? r.phases.flatMap((p) => p.ledgers.map((l) => ({ ...l, name: `${label(r)} ${l.name}` }))) : []));
}

function label(r: RelayRun): string {
  const on = r.platform === 'slack' ? ', slack' : '';
  const n = r.processes && r.processes > 1 ? `, ${r.processes} processes` : '';
  return r.server === 'echo' ? `echo ${r.platform === 'slack' ? 'app (slack)' : 'bot'}:` : `bridge (${r.store}${on}${n}):`;
}

// ---------------------------------------------------------------------------------------------

const pct = (x: number) => `${round(x * 100, 1)}%`;
const pctOr = (x: number) => (Number.isFinite(x) ? pct(x) : 'n/a');

export const relayTeams: Scenario = {
  name: 'relay',
  title: 'Teams relay vs echo bot (in memory)',
  byDefault: true,
  async run(ctx) {
    // Both servers open at once; their exchange rounds alternate (echo, bridge, echo, ...).
    const [echo, bridge] = await runRelays(ctx, [{ server: 'echo' }, { server: 'bridge', store: 'memory' }], { footprint: true });
    ctx.shared.set('echo', echo);
    ctx.shared.set('bridge-memory', bridge);
    return relayResult(ctx.options, echo, bridge);
  },
};

/** The bridge against its ceiling: exchanges/s ratio (median rounds) and CPU-cost ratio. */
export interface Comparison {
  /** Bridge exchanges/s / echo exchanges/s. */
  ratio: number;
  /** Echo CPU ms per exchange / bridge CPU ms per exchange (server + Redis): the cost figure. */
  cpuRatio: number;
  echoCpuMs: number;
  bridgeCpuMs: number;
}

export function compare(echo: RelayRun | undefined, bridge: RelayRun | undefined): Comparison {
  const echoEx = phase(echo, 'exchange')?.exchangesPerSecond;
  const ex = phase(bridge, 'exchange')?.exchangesPerSecond;
  const echoCpuMs = cpuPerExchange(echo);
  const bridgeCpuMs = cpuPerExchange(bridge);
  return { ratio: echoEx && ex ? ex / echoEx : NaN, cpuRatio: echoCpuMs / bridgeCpuMs, echoCpuMs, bridgeCpuMs };
}

export function comparisonLine(c: Comparison, what: string, ceiling: string): string {
  return (
    `${what} exchanges/s as a share of the ${ceiling}'s (median rounds, interleaved): **${pctOr(c.ratio)}**; ` +
    `by server CPU per exchange (${ceiling} ${round(c.echoCpuMs, 3)} ms / ${what.toLowerCase()} ${round(c.bridgeCpuMs, 3)} ms, medians over the rounds): **${pctOr(c.cpuRatio)}**.`
  );
}

export function relayResult(o: BenchOptions, echo: RelayRun, bridge: RelayRun): ScenarioResult {
  const c = compare(echo, bridge);
  const open = phase(bridge, 'open loop');
  const p99 = open?.added ? Math.max(open.added.toAgent?.p99 ?? NaN, open.added.toUser?.p99 ?? NaN) : NaN;
  const accounting = accountingOf(echo, bridge);
  const failure = echo.failure ?? bridge.failure;
  const targets: Target[] = [
    {
      name: 'Relay throughput vs echo bot (memory)',
      goal: '>= 70%',
      value: pctOr(c.ratio),
      met: Number.isFinite(c.ratio) ? c.ratio >= 0.7 : null,
    },
    { name: 'Relay CPU per exchange, echo bot / bridge (memory)', goal: 'reported', value: pctOr(c.cpuRatio), met: null },
    {
      name: `Added latency p99 at ${o.rate} msg/s`,
      goal: '< 10 ms',
      value: Number.isFinite(p99) ? `${p99.toFixed(2)} ms` : 'n/a',
      met: Number.isFinite(p99) ? p99 < 10 : null,
    },
    {
      name: 'No message lost or duplicated (relay)',
      goal: '0',
      value: accounting.every((l) => l.ok) ? '0' : 'FAILED',
      met: !failure && accounting.every((l) => l.ok),
    },
    ...footprintTargets(bridge),
  ];
  return {
    name: 'relay',
    title: 'Teams relay vs echo bot (in memory)',
    status: failure || !accounting.every((l) => l.ok) ? 'failed' : 'ok',
    reason: failure,
    targets,
    accounting,
    data: { echo, bridge, ratio: c.ratio, cpuRatio: c.cpuRatio, cpuMsPerExchange: { echo: c.echoCpuMs, bridge: c.bridgeCpuMs } },
    markdown: [relayMarkdown(o, [echo, bridge], c), footprintMarkdown(bridge)].filter(Boolean).join('\n\n'),
  };
}

/** Issue 11: besides a message's entry in its chat's log, nothing per message outlives 15 minutes. */
export function footprintTargets(run: RelayRun): Target[] {
  const f = run.footprint;
  const store = run.store ?? 'memory';
  if (!f) return [{ name: `Keys outliving 15 min per relayed message (${store})`, goal: '0', value: 'n/a', met: null }];
  return [
    {
      name: `Keys outliving 15 min per relayed message (${store})`,
      goal: '0 (the chat-log entry is a list item)',
      value: String(f.longLivedKeysPerMessage),
      met: f.longLivedKeysPerMessage <= 0,
    },
  ];
}

export function footprintMarkdown(run: RelayRun): string {
  const f = run.footprint;
  if (!f) return '';
  const redis = f.redisBytesPerMessage !== undefined ? `, Redis \`used_memory\` ${f.redisBytesPerMessage} B` : '';
  const long = Object.entries(f.after.longLivedByPrefix)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `What relayed messages leave behind (${run.store ?? 'memory'}; one more exchange burst, ${f.messages} brokered messages, measured after full GCs): ` +
      `heap ${f.heapBytesPerMessage} B per message${redis} (both including the 15-minute marks, which then expire); keys ${f.keysPerMessage} per message (de-duplication and idempotency marks, all expiring within 15 minutes); ` +
      `keys that outlive 15 minutes: **${f.longLivedKeysPerMessage} per message** (target 0: the message itself is an entry in its chat's log, a list item).`,
    `Long-lived keys after the burst (per chat and per user, not per message): ${long || 'none'} (${f.after.longLived} of ${f.after.keys} keys).`,
  ].join('\n\n');
}

export function relayMarkdown(o: BenchOptions, runs: RelayRun[], comparison?: Comparison): string {
  const lines: string[] = [];
  lines.push(
    `${o.chats} concurrent chats, ${o.messages} messages per chat per phase; exchange rounds of the servers interleaved; open loop at ${o.rate} msg/s for ${o.latencySeconds} s.`,
  );
  lines.push('');
  lines.push(
    '| server | phase | users -> agents msg/s | agents -> users msg/s | exchanges/s | server CPU ms / exchange | end-to-end p50 / p99 ms | added p50 / p95 / p99 ms | server CPU | generator CPU |',
  );
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |');
  for (const run of runs) {
    const who = describeServer({ server: run.server, store: run.store, platform: run.platform, processes: run.processes }, o.echoMode);
    for (const p of run.phases) {
      if (p.phase === 'warm-up') continue;
      const e2e = Object.entries(p.endToEnd)
        .map(([k, s]) => `${short(k)} ${s.p50} / ${s.p99}`)
        .join('; ');
      const added = p.added
        ? Object.entries(p.added)
            .map(([k, s]) => `${short(k)} ${s.p50} / ${s.p95} / ${s.p99}`)
            .join('; ')
        : '';
      const toAgent = run.server === 'echo' ? '' : (p.rates.toAgent ?? '');
      const redis = p.redisCpuMs !== undefined ? ` + Redis ${p.redisCpuMs} ms` : '';
      lines.push(
        `| ${who} | ${p.phase} | ${toAgent} | ${p.rates.toUser ?? ''} | ${p.exchangesPerSecond ?? ''} | ${p.cpuMsPerExchange ?? ''} | ${e2e} | ${added} | ${p.serverCpuPercent}%${redis} | ${p.generatorCpuPercent}% |`,
      );
    }
    if (run.failure) lines.push(`| ${who} | **FAILED** | ${run.failure} | | | | | | | |`);
  }
  if (comparison) lines.push('', comparisonLine(comparison, 'Bridge', runs[0]?.platform === 'slack' ? 'echo app' : 'echo bot'));
  const setup = runs.find((r) => r.server === 'bridge')?.setup;
  if (setup)
    lines.push(
      '',
      `Opening ${o.chats} chats through the real paths (message, offer card, Start, queue, agent accepts) took ${setup.seconds.toFixed(1)} s (${setup.perSecond.toFixed(0)} chats/s).`,
    );
  return lines.join('\n');
}

function short(k: string): string {
  return k === 'toAgent' ? 'to agent' : 'to user';
}
