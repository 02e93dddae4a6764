/**
 * Prints the hot spots of a V8 CPU profile (`node --cpu-prof`, or the per-phase profiles the
 * benchmark writes with `--profile`): the top functions by self time, the top by total
 * (inclusive) time, and self time per package / project folder.
 *
 *   npx tsx bench/profile-top.ts bench/results/profiles/<file>.cpuprofile [--top 25] [--filter bots/]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface HotSpot {
  name: string;
  where: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  idlePercent: number;
  gcPercent: number;
  self: HotSpot[];
  total: HotSpot[];
  byPackage: HotSpot[];
}

const ROOT = path.resolve(__dirname, '..');

const sources = new Map<string, string[]>();

/** `file:line`, and for project TypeScript the line itself (anonymous functions need it). */
function where(cf: CallFrame): string {
  if (!cf.url) return '(native)';
  const abs = cf.url.replace(/^file:\/\//, '');
  const file = abs.startsWith(ROOT) ? path.relative(ROOT, abs) : abs;
  let code = '';
  if (abs.startsWith(ROOT) && abs.endsWith('.ts') && !abs.includes('node_modules')) {
    if (!sources.has(abs)) {
      try {
        sources.set(abs, readFileSync(abs, 'utf8').split('\n'));
      } catch {
        sources.set(abs, []);
      }
    }
    const line = sources.get(abs)![cf.lineNumber]?.trim();
    if (line) code = `  \`${line.length > 70 ? `${line.slice(0, 67)}...` : line}\``;
  }
  return `${file}:${cf.lineNumber + 1}${code}`;
}

function packageOf(cf: CallFrame): string {
  const url = cf.url.replace(/^file:\/\//, '');
  if (!url) return cf.functionName.startsWith('(') ? cf.functionName : '(native)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith(ROOT)) return path.relative(ROOT, url).split('/').slice(0, 2).join('/');
  return url;
}

export function summarizeProfile(profile: CpuProfile, top = 25, filter?: string): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const self = new Map<string, { name: string; where: string; us: number }>();
  const total = new Map<string, { name: string; where: string; us: number }>();
  const pkg = new Map<string, number>();
  let all = 0;
  let idle = 0;
  let gc = 0;
  const key = (cf: CallFrame) => `${cf.functionName}|${cf.url}|${cf.lineNumber}`;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0; // the delta after a sample is the time it stood for
    const node = byId.get(profile.samples[i]);
    if (!node) continue;
    all += dt;
    const cf = node.callFrame;
    if (cf.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    if (cf.functionName === '(garbage collector)') gc += dt;
    const k = key(cf);
    const s = self.get(k) ?? { name: cf.functionName || '(anonymous)', where: where(cf), us: 0 };
    s.us += dt;
    self.set(k, s);
    const p = packageOf(cf);
    pkg.set(p, (pkg.get(p) ?? 0) + dt);
    // Inclusive: every distinct function on the stack gets the sample once.
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      if (f.functionName === '(root)') break;
      const fk = key(f);
      if (seen.has(fk)) continue;
      seen.add(fk);
      const t = total.get(fk) ?? { name: f.functionName || '(anonymous)', where: where(f), us: 0 };
      t.us += dt;
      total.set(fk, t);
    }
  }
  const busy = all - idle;
  const spots = (m: Iterable<{ name: string; where: string; us: number }>) =>
    [...m]
      .filter((s) => !filter || s.where.includes(filter))
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((s) => ({ name: s.name, where: s.where, ms: Math.round(s.us / 100) / 10, percent: Math.round((s.us / busy) * 1000) / 10 }));
  return {
    totalMs: Math.round(all / 1000),
    idlePercent: Math.round((idle / all) * 1000) / 10,
    gcPercent: Math.round((gc / busy) * 1000) / 10,
    self: spots(self.values()),
    total: spots(total.values()),
    byPackage: [...pkg]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, where: '', ms: Math.round(us / 100) / 10, percent: Math.round((us / busy) * 1000) / 10 })),
  };
}

export function formatProfile(s: ProfileSummary, title = ''): string {
  const lines: string[] = [];
  lines.push(`${title}${title ? ': ' : ''}${s.totalMs} ms sampled, ${s.idlePercent}% idle, GC ${s.gcPercent}% of busy time`);
  const table = (name: string, spots: HotSpot[]) => {
    lines.push('', `${name} (% of busy time)`);
    for (const h of spots) lines.push(`  ${h.percent.toFixed(1).padStart(5)}%  ${h.ms.toFixed(1).padStart(8)} ms  ${h.name}  ${h.where}`);
  };
  table('Top self time', s.self);
  table('Top total time', s.total);
  table('Self time by package / folder', s.byPackage);
  return lines.join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  if (!file) {
    process.stderr.write('usage: tsx bench/profile-top.ts <file.cpuprofile> [--top N] [--filter text]\n');
    process.exit(2);
  }
  const topIdx = args.indexOf('--top');
  const filterIdx = args.indexOf('--filter');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const summary = summarizeProfile(profile, topIdx >= 0 ? Number(args[topIdx + 1]) : 25, filterIdx >= 0 ? args[filterIdx + 1] : undefined);
  process.stdout.write(`${formatProfile(summary, path.basename(file))}\n`);
}
