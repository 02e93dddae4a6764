/** The benchmark report: one JSON document and its Markdown rendering. */
import { execSync } from 'node:child_process';
import os from 'node:os';
import type { BenchOptions, ScenarioResult, Target } from '../scenarios/types';
import type { LedgerSummary } from './ledger';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
}

export interface Report {
  ok: boolean;
  /** Why not ok: accounting failures and failed scenarios. */
  problems: string[];
  startedAt: string;
  seconds: number;
  command: string;
  machine: Machine;
  git: { commit: string; dirty: boolean };
  options: BenchOptions;
  targets: Target[];
  accounting: LedgerSummary[];
  scenarios: ScenarioResult[];
  profiles: { file: string; summary: string }[];
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

export function gitState(cwd: string): { commit: string; dirty: boolean } {
  try {
    const commit = execSync('git rev-parse --short HEAD', { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    const dirty =
      execSync('git status --porcelain -- bots adapters cards config', { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

export function renderMarkdown(r: Report): string {
  const m = r.machine;
  const lines: string[] = [];
  lines.push('# Live Agent Bridge benchmark');
  lines.push('');
  lines.push(`${r.ok ? 'All messages accounted for.' : `**FAILED:** ${r.problems.join('; ')}`}`);
  lines.push('');
  lines.push(`- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}`);
  lines.push(`- Code: ${r.git.commit}${r.git.dirty ? ' (with uncommitted changes)' : ''}; run ${r.startedAt}, ${r.seconds.toFixed(0)} s`);
  lines.push(`- Command: \`${r.command}\``);
  lines.push('');
  lines.push('## Targets');
  lines.push('');
  lines.push('| target | goal | result | met |');
  lines.push('| --- | --- | --- | --- |');
  for (const t of r.targets)
    lines.push(`| ${t.name} | ${t.goal} | ${t.value} | ${t.met === null ? 'not measured' : t.met ? 'yes' : '**no**'} |`);
  for (const s of r.scenarios) {
    lines.push('', `## ${s.title}`, '');
    if (s.status === 'pending' || s.status === 'skipped') {
      lines.push(`_${s.status}_: ${s.reason ?? ''}`);
      continue;
    }
    lines.push(s.markdown);
  }
  lines.push('', '## Message accounting', '');
  if (r.accounting.length === 0) {
    lines.push('No relay ran.');
  } else {
    const sum = (k: keyof LedgerSummary) => r.accounting.reduce((n, l) => n + (l[k] as number), 0);
    lines.push(
      `${sum('sent')} messages sent, ${sum('delivered')} delivered exactly once; lost ${sum('lost')}, duplicated ${sum('duplicated')}, ` +
        `refused ${sum('sendErrors')}, out of order ${sum('outOfOrder')}, unexpected ${sum('unexpected')}.`,
    );
    const bad = r.accounting.filter((l) => !l.ok);
    for (const l of bad)
      lines.push(
        `- **${l.name}**: sent ${l.sent}, delivered ${l.delivered}, lost ${l.lost}, duplicated ${l.duplicated}, refused ${l.sendErrors}, out of order ${l.outOfOrder}. ${l.examples.join('; ')}`,
      );
  }
  if (r.profiles.length > 0) {
    lines.push('', '## CPU profiles', '');
    for (const p of r.profiles) lines.push('```', p.summary, '```', '');
  }
  lines.push('', 'How each number is measured: bench/README.md.');
  return `${lines.join('\n')}\n`;
}
