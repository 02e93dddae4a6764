/**
 * `npm run bench`: runs the selected scenarios, prints progress, writes
 * bench/results/latest.json and latest.md, and exits non-zero when any message was lost,
 * duplicated or refused (or a scenario failed). Missed performance targets are reported, not fatal.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, usage } from './lib/args';
import { gitState, machine, renderMarkdown, type Report } from './lib/report';
import { formatProfile, summarizeProfile } from './profile-top';
import { scenarios } from './scenarios';
import type { BenchOptions, ScenarioContext, ScenarioResult } from './scenarios/types';

const ROOT = path.resolve(__dirname, '..');

export async function runBench(options: BenchOptions, argv: string[] = []): Promise<Report> {
  const known = new Set(scenarios.map((s) => s.name));
  for (const name of options.only) if (!known.has(name)) throw new Error(`unknown scenario "${name}" (known: ${[...known].join(', ')})`);
  const selected = scenarios.filter((s) => (options.only.length ? options.only.includes(s.name) : s.byDefault));
  const started = Date.now();
  mkdirSync(options.outDir, { recursive: true });
  const profileDir = options.profile ? path.join(options.outDir, 'profiles') : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const ctx: ScenarioContext = {
    options,
    results: new Map(),
    shared: new Map(),
    profileDir,
    log: (message) => {
      if (!options.quiet) process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
    },
  };
  const results: ScenarioResult[] = [];
  for (const scenario of selected) {
    ctx.log(`== ${scenario.title}`);
    let result: ScenarioResult;
    try {
      result = await scenario.run(ctx);
    } catch (e) {
      result = {
        name: scenario.name,
        title: scenario.title,
        status: 'failed',
        reason: (e as Error).stack ?? String(e),
        targets: [],
        accounting: [],
        data: {},
        markdown: '',
      };
    }
    ctx.results.set(scenario.name, result);
    results.push(result);
    if (result.status !== 'ok') ctx.log(`${scenario.name}: ${result.status}${result.reason ? ` (${result.reason.split('\n')[0]})` : ''}`);
  }

  const accounting = results.flatMap((r) => r.accounting);
  const problems = [
    ...results.filter((r) => r.status === 'failed').map((r) => `${r.name}: ${r.reason?.split('\n')[0] ?? 'failed'}`),
    ...accounting
      .filter((l) => !l.ok)
      .map(
        (l) =>
          `${l.name}: lost ${l.lost}, duplicated ${l.duplicated}, refused ${l.sendErrors}, out of order ${l.outOfOrder}, unexpected ${l.unexpected}`,
      ),
  ];
  const profiles = profileDir
    ? readdirSync(profileDir)
        .filter((f) => f.endsWith('.cpuprofile') && /-(exchange|user|agent)-/.test(f))
        .map((f) => {
          const file = path.join(profileDir, f);
          return {
            file: path.relative(ROOT, file),
            summary: formatProfile(summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), 15), f),
          };
        })
    : [];
  const report: Report = {
    ok: problems.length === 0,
    problems,
    startedAt: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    command: ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' '),
    machine: machine(),
    git: gitState(ROOT),
    options,
    targets: results.flatMap((r) => r.targets),
    accounting,
    scenarios: results,
    profiles,
  };
  writeFileSync(path.join(options.outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(options.outDir, 'latest.md'), renderMarkdown(report));
  return report;
}

async function main(): Promise<void> {
  let options: BenchOptions;
  const argv = process.argv.slice(2);
  try {
    options = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  const report = await runBench(options, argv);
  const out = path.relative(process.cwd(), options.outDir) || '.';
  process.stdout.write('\nTargets:\n');
  for (const t of report.targets)
    process.stdout.write(`  ${t.met === null ? '  -  ' : t.met ? ' met ' : 'MISSED'}  ${t.name}: ${t.value} (goal ${t.goal})\n`);
  for (const p of report.profiles) process.stdout.write(`\n${p.summary}\n`);
  process.stdout.write(`\nReport: ${out}/latest.md, ${out}/latest.json\n`);
  if (!report.ok) {
    process.stderr.write(`\nBENCHMARK FAILED: ${report.problems.join('\n  ')}\n`);
    process.exit(1);
  }
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`benchmark crashed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}

export { usage };
