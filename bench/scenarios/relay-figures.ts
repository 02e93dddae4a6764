/** Figures read off a relay run's phases (see relay-run.ts). */
import type { PhaseResult } from '../lib/driver';
import { median } from '../lib/stats';
import type { RelayRun } from './relay-run';

/** Median over the measured exchange rounds of (server + Redis) CPU ms per exchange. */
export function cpuPerExchange(run: RelayRun | undefined): number {
  const xs = (run?.phases ?? [])
    .filter((p) => p.phase.startsWith('exchange') && p.cpuMsPerExchange !== undefined)
    .map((p) => p.cpuMsPerExchange!);
  return xs.length ? median(xs) : NaN;
}

/** Median over the measured exchange rounds of (server + Redis) CPU ms per brokered message. */
export function cpuPerMessage(run: RelayRun | undefined): number {
  const xs = (run?.phases ?? []).filter((p) => p.phase.startsWith('exchange')).map((p) => p.cpuMsPerMessage);
  return xs.length ? median(xs) : NaN;
}

export function describePhase(r: PhaseResult): string {
  const rates = Object.entries(r.rates)
    .map(([k, v]) => `${k} ${v} msg/s`)
    .join(', ');
  const added = r.added
    ? `; added p99 ${Object.entries(r.added)
        .map(([k, s]) => `${k} ${s.p99.toFixed(2)} ms`)
        .join(', ')}`
    : '';
  const ok = r.ledgers.every((l) => l.ok) ? 'all delivered once' : 'ACCOUNTING FAILED';
  const cpu = r.cpuMsPerExchange !== undefined ? `, ${r.cpuMsPerExchange} CPU ms/exchange` : '';
  return `${rates}${r.exchangesPerSecond !== undefined ? `, ${r.exchangesPerSecond} exchanges/s` : ''}; server CPU ${r.serverCpuPercent}%${r.redisCpuMs !== undefined ? ` + Redis ${r.redisCpuMs} ms` : ''}${cpu}, generator ${r.generatorCpuPercent}%${added}; ${ok}`;
}
