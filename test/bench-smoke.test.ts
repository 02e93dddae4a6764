/**
 * A small run of the benchmark (`npm run bench`), so it cannot rot: real child processes, the
 * real Teams and Slack endpoints and console API, a few hundred messages, every one counted at
 * both ends, and a tiny broadcast fan-out with its pacing proof.
 * No timing assertions: this machine may be busy with other tests.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from '../bench/lib/args';
import { runBench } from '../bench/run';
import { describeWithRedis, redisUrl } from './contract/store.redis-env';

describe('benchmark smoke run', () => {
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('relays a few hundred messages both ways with none lost or duplicated, and writes the report', async () => {
    const options = parseArgs([
      '--only',
      'relay,memory,slack,broadcast',
      '--chats',
      '12',
      '--messages',
      '4',
      '--rate',
      '60',
      '--latency-seconds',
      '1',
      '--agents',
      '3',
      '--sessions',
      '300',
      '--memory-real',
      '0',
      '--broadcast-recipients',
      '40',
      '--broadcast-default-check',
      '10',
      '--out',
      outDir,
      '--quiet',
    ]);
    options.redisUrl = 'redis://127.0.0.1:1'; // the smoke run stays in memory: Redis runs are skipped
    const report = await runBench(options);

    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    // Echo: warm-up + exchange + open loop; bridge: warm-up + 3 bursts (+ both ways) + open loop.
    const sent = report.accounting.reduce((n, l) => n + l.sent, 0);
    const delivered = report.accounting.reduce((n, l) => n + l.delivered, 0);
    expect(sent).toBeGreaterThanOrEqual(200);
    expect(delivered).toBe(sent);
    for (const l of report.accounting) {
      expect({ name: l.name, lost: l.lost, duplicated: l.duplicated, refused: l.sendErrors, outOfOrder: l.outOfOrder }).toEqual({
        name: l.name,
        lost: 0,
        duplicated: 0,
        refused: 0,
        outOfOrder: 0,
      });
    }
    const relay = report.scenarios.find((s) => s.name === 'relay')!;
    expect(relay.status).toBe('ok');
    const memory = report.scenarios.find((s) => s.name === 'memory')!;
    expect(memory.status).toBe('ok');
    // Slack: signed requests to /slack/events, a fake Slack Web API; every message counted too.
    const slack = report.scenarios.find((s) => s.name === 'slack')!;
    expect(slack.status).toBe('ok');
    expect(slack.accounting.some((l) => l.name.includes('slack') && l.sent > 0)).toBe(true);
    // Broadcast: every recipient once, and the pacing held where the fake platforms counted.
    const broadcast = report.scenarios.find((s) => s.name === 'broadcast')!;
    expect(broadcast.status).toBe('ok');
    const runs = (
      broadcast.data as {
        runs: { recipients: number; delivered: number; expected: number; duplicates: number; missing: number; ok: boolean }[];
      }
    ).runs;
    expect(runs.map((r) => [r.recipients, r.delivered, r.expected, r.duplicates, r.missing, r.ok])).toEqual([
      [40, 40, 40, 0, 0, true],
      [10, 20, 20, 0, 0, true],
    ]);

    const json = JSON.parse(readFileSync(path.join(outDir, 'latest.json'), 'utf8'));
    expect(json.ok).toBe(true);
    expect(json.targets.map((t: { name: string }) => t.name)).toEqual(
      expect.arrayContaining([
        'Relay throughput vs echo bot (memory)',
        'Heap per idle open session (memory)',
        'Slack relay throughput vs echo app (memory)',
        'Broadcast pacing (max sends in any second, per surface)',
      ]),
    );
    const md = readFileSync(path.join(outDir, 'latest.md'), 'utf8');
    expect(md).toContain('## Targets');
    expect(md).toContain('Teams relay vs echo bot');
    expect(md).toContain('Slack relay vs echo app');
    expect(md).toContain('Broadcast fan-out');
    expect(md).toContain('delivered exactly once');
  }, 180_000);
});

describeWithRedis('benchmark smoke run: scale-out on Redis', () => {
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'bench-scale-smoke-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('relays exchanges through one and two bridge processes on one Redis, counted once each, with CPU per message reported', async () => {
    const options = parseArgs([
      '--only',
      'scale',
      '--chats',
      '6',
      '--messages',
      '2',
      '--rounds',
      '1',
      '--agents',
      '2',
      '--scale-processes',
      '1,2',
      '--latency-seconds',
      '0',
      '--out',
      outDir,
      '--quiet',
    ]);
    options.redisUrl = redisUrl;
    const report = await runBench(options);
    expect(report.problems).toEqual([]);
    const scale = report.scenarios.find((s) => s.name === 'scale')!;
    expect(scale.status).toBe('ok');
    const rows = (scale.data as { rows: { processes: number; cpuMsPerMessage: number }[] }).rows;
    expect(rows.map((r) => r.processes)).toEqual([1, 2]);
    for (const r of rows) expect(r.cpuMsPerMessage).toBeGreaterThan(0);
    // Warm-up and one round per configuration, both ways, every message once.
    const sent = scale.accounting.reduce((n, l) => n + l.sent, 0);
    expect(sent).toBe(2 * 2 * 6 * 2 * 2);
    expect(scale.accounting.every((l) => l.ok && l.delivered === l.sent)).toBe(true);
    expect(report.targets.map((t) => t.name)).toContain('CPU per brokered message, 2 processes / 1 process (Redis)');
  }, 180_000);
});
