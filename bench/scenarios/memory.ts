/**
 * Memory per open session, in memory and on Redis.
 *
 * How sessions are made (two ways, both reported):
 * - real: every session opened over the wire, exactly as in the relay scenario (user message,
 *   offer card, Start, queued; half of them accepted by an agent, so live). This is the truth,
 *   but opening a console chat currently costs O(open chats) (see the README), so it is used at
 *   a smaller count (--memory-real) to validate the seeded numbers.
 * - seeded: a few template sessions (queued and live) are opened over the wire; every store
 *   entry they created is read back, and N clones are written through the bridge's own `Store`
 *   port with the ids rewritten (same lengths, so the same bytes). The broker's restart path
 *   (`Broker.start`) then re-arms a queue timer per queued session, as after a restart.
 *
 * Per session = (after - before) / N, after full GCs (--expose-gc) in the bridge child. Real
 * runs take the slope over their second half, after a warm-up, so one-time costs (JIT code,
 * pools) are not counted. Seeded sessions are idle: no de-duplication marks (they expire 15
 * minutes after a message); their stored size is shown separately.
 * On Redis the bridge's heap should stay flat; Redis' own `used_memory` is reported beside it.
 */
import { startChild, type ChildHandle } from '../lib/child';
import type { MemorySnapshot } from '../lib/child-runtime';
import { Driver } from '../lib/driver';
import { startFakeConnector, type FakeConnector } from '../lib/fake-connector';
import { round } from '../lib/stats';
import { benchAgents, flushNamespace, redisReachable } from './relay-teams';
import type { Scenario, ScenarioContext, ScenarioResult, Target } from './types';

const LONG_TTL_MS = 7 * 24 * 3600 * 1000;

export interface MemoryPoint {
  engine: 'memory' | 'redis';
  method: 'real' | 'seeded';
  sessions: number;
  heapPerSession: number;
  rssPerSession: number;
  redisPerSession?: number;
  seconds: number;
}

interface Env {
  child: ChildHandle;
  connector: FakeConnector;
  driver: Driver;
  namespace: string;
}

async function startEnv(ctx: ScenarioContext, engine: 'memory' | 'redis'): Promise<Env> {
  const agents = benchAgents(2);
  const connector = await startFakeConnector();
  const namespace = `bench-mem-${process.pid}-${Date.now()}`;
  const child = await startChild('server-bridge.ts', {
    config: {
      redisUrl: engine === 'redis' ? ctx.options.redisUrl : undefined,
      namespace,
      memoryEngine: ctx.options.memoryEngine,
      agents,
      queueTimeoutSeconds: 3600,
    },
  });
  return { child, connector, namespace, driver: new Driver('bridge', child, connector, agents, { maxSockets: ctx.options.sockets }) };
}

async function stopEnv(ctx: ScenarioContext, env: Env, engine: string): Promise<void> {
  await env.driver.close();
  await env.child.stop();
  await env.connector.close();
  if (engine === 'redis') await flushNamespace(ctx.options.redisUrl, env.namespace).catch(() => undefined);
}

async function redisUsed(url: string): Promise<number> {
  const { createClient } = await import('@keyv/redis');
  const client = createClient({ url });
  await client.connect();
  try {
    const info = String(await client.info('memory'));
    return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
  } finally {
    client.destroy();
  }
}

function per(after: MemorySnapshot, before: MemorySnapshot, n: number) {
  return { heap: (after.heapUsed - before.heapUsed) / n, rss: (after.rss - before.rss) / n };
}

/** Sessions through the real paths: half queued, half live. */
async function realRun(ctx: ScenarioContext, engine: 'memory' | 'redis', count: number): Promise<MemoryPoint> {
  const env = await startEnv(ctx, engine);
  try {
    // Warm the code paths (JIT, caches, pools) first, then take the slope over the second half,
    // so one-time costs do not count as per-session memory.
    await env.driver.setup(Math.min(200, count), ctx.options.setupConcurrency, { live: (i) => i % 2 === 0 });
    ctx.log(`memory (${engine}): opening ${count} sessions through the real paths`);
    const half = Math.floor(count / 2);
    const t1 = await env.driver.setup(half, ctx.options.setupConcurrency, { live: (i) => i % 2 === 0 });
    const before = await env.child.call<MemorySnapshot>('memory');
    const redisBefore = engine === 'redis' ? await redisUsed(ctx.options.redisUrl) : 0;
    const t2 = await env.driver.setup(count - half, ctx.options.setupConcurrency, { live: (i) => i % 2 === 0 });
    const t = { seconds: t1.seconds + t2.seconds };
    const after = await env.child.call<MemorySnapshot>('memory');
    const d = per(after, before, count - half);
    const point: MemoryPoint = {
      engine,
      method: 'real',
      sessions: count,
      heapPerSession: d.heap,
      rssPerSession: d.rss,
      seconds: t.seconds,
    };
    if (engine === 'redis') point.redisPerSession = ((await redisUsed(ctx.options.redisUrl)) - redisBefore) / (count - half);
    ctx.log(`memory (${engine}, real, ${count}): heap ${Math.round(d.heap)} B/session, RSS ${Math.round(d.rss)} B/session`);
    return point;
  } finally {
    await stopEnv(ctx, env, engine);
  }
}

interface Template {
  entries: { key: string; value: unknown; ttlMs: number }[];
  ids: string[];
  sessionId: string;
}

async function seededRun(
  ctx: ScenarioContext,
  engine: 'memory' | 'redis',
  counts: number[],
): Promise<{ points: MemoryPoint[]; footprint: Record<string, number> }> {
  const env = await startEnv(ctx, engine);
  const points: MemoryPoint[] = [];
  try {
    // Templates: one queued and one live session, opened over the wire.
    await env.driver.setup(8, 8, { live: (i) => i % 2 === 0 });
    const templates: Template[] = [];
    const footprint: Record<string, number> = {};
    for (const i of [0, 1]) {
      const u = env.driver.users[i];
      const sessionId = env.driver.chatIds[i];
      const ids = [u.aadObjectId, u.userId, u.conversationId, sessionId];
      const raw = await env.child.call<{ key: string; value: unknown; list?: boolean }[]>('snapshot', { ids });
      // Idle sessions: de-duplication marks (the broker's, the console's `seen` marks) expire 15
      // minutes after the last message, so an idle session has none. Their size is listed in the
      // footprint line.
      const mark = (key: string) => key.startsWith('dedupe:') || key.startsWith('console:seen:');
      for (const e of raw.filter((x) => mark(x.key))) {
        footprint['dedupe (expires after 15 min)'] =
          (footprint['dedupe (expires after 15 min)'] ?? 0) + (e.key.length + JSON.stringify(e.value).length) / 2;
      }
      const entries = raw.filter((e) => e.key !== 'console:index' && !mark(e.key)).map((e) => ({ ...e, ttlMs: LONG_TTL_MS }));
      templates.push({ entries, ids, sessionId });
      for (const e of entries) {
        const kind = e.key.startsWith('console:') ? e.key.split(':').slice(0, 2).join(':') : e.key.split(':')[0];
        footprint[kind] = (footprint[kind] ?? 0) + (e.key.length + JSON.stringify(e.value).length) / 2;
      }
    }
    const before = await env.child.call<MemorySnapshot>('memory');
    const redisBefore = engine === 'redis' ? await redisUsed(ctx.options.redisUrl) : 0;
    let made = 0;
    const started = Date.now();
    for (const target of [...counts].sort((a, b) => a - b)) {
      ctx.log(`memory (${engine}): seeding to ${target} sessions`);
      for (let from = made; from < target; from += 5000) {
        await env.child.call('seed', { templates, from, to: Math.min(target, from + 5000) });
      }
      made = target;
      await env.child.call('rearm');
      const after = await env.child.call<MemorySnapshot>('memory');
      const d = per(after, before, target);
      const point: MemoryPoint = {
        engine,
        method: 'seeded',
        sessions: target,
        heapPerSession: d.heap,
        rssPerSession: d.rss,
        seconds: (Date.now() - started) / 1000,
      };
      if (engine === 'redis') point.redisPerSession = ((await redisUsed(ctx.options.redisUrl)) - redisBefore) / target;
      points.push(point);
      ctx.log(
        `memory (${engine}, seeded, ${target}): heap ${Math.round(d.heap)} B/session, RSS ${Math.round(d.rss)} B/session` +
          (point.redisPerSession !== undefined ? `, Redis ${Math.round(point.redisPerSession)} B/session` : ''),
      );
    }
    return { points, footprint: Object.fromEntries(Object.entries(footprint).map(([k, v]) => [k, Math.round(v)])) };
  } finally {
    await stopEnv(ctx, env, engine);
  }
}

export const memoryScenario: Scenario = {
  name: 'memory',
  title: 'Memory per open session (memory and Redis)',
  byDefault: true,
  async run(ctx): Promise<ScenarioResult> {
    const o = ctx.options;
    const points: MemoryPoint[] = [];
    let footprint: Record<string, number> = {};
    const notes: string[] = [];
    let failure: string | undefined;
    const redisProblem = await redisReachable(o.redisUrl);
    if (redisProblem) notes.push(`Redis runs skipped: ${redisProblem}`);
    for (const engine of redisProblem ? (['memory'] as const) : (['memory', 'redis'] as const)) {
      try {
        // Over the wire only in memory: on Redis, opening a console chat costs one GET per open
        // chat (see the README), which makes a large real run take minutes.
        if (o.memoryReal > 0 && engine === 'memory') points.push(await realRun(ctx, engine, o.memoryReal));
        if (o.memorySessions.length > 0) {
          const seeded = await seededRun(ctx, engine, o.memorySessions);
          points.push(...seeded.points);
          if (engine === 'memory') footprint = seeded.footprint;
        }
      } catch (e) {
        failure = `${engine}: ${(e as Error).message}`;
        ctx.log(`memory: ${failure}`);
      }
    }
    const idle = points.filter((p) => p.engine === 'memory' && p.method === 'seeded').sort((a, b) => b.sessions - a.sessions)[0];
    const targets: Target[] = [
      {
        name: 'Heap per idle open session (memory)',
        goal: '< 2 KB',
        value: idle ? `${(idle.heapPerSession / 1024).toFixed(2)} KB at ${idle.sessions.toLocaleString('en-US')}` : 'n/a',
        met: idle ? idle.heapPerSession < 2048 : null,
      },
    ];
    const lines = [
      '| store | sessions | made through | heap / session | RSS / session | Redis used_memory / session | time to create |',
      '| --- | ---: | --- | ---: | ---: | ---: | ---: |',
      ...points.map(
        (p) =>
          `| ${p.engine} | ${p.sessions.toLocaleString('en-US')} | ${p.method === 'real' ? 'real HTTP paths' : 'seeded clones'} | ${kb(p.heapPerSession)} | ${kb(p.rssPerSession)} | ${p.redisPerSession !== undefined ? kb(p.redisPerSession) : ''} | ${p.seconds.toFixed(1)} s |`,
      ),
    ];
    if (Object.keys(footprint).length > 0) {
      lines.push(
        '',
        'Stored bytes per session by key (JSON, average of a queued and a live session): ' +
          Object.entries(footprint)
            .map(([k, v]) => `\`${k}\` ${v} B`)
            .join(', ') +
          '.',
      );
    }
    if (notes.length) lines.push('', ...notes.map((n) => `> ${n}`));
    if (failure) lines.push('', `**FAILED:** ${failure}`);
    return {
      name: 'memory',
      title: this.title,
      status: failure ? 'failed' : 'ok',
      reason: failure,
      targets,
      accounting: [],
      data: { points, footprint, notes },
      markdown: lines.join('\n'),
    };
  },
};

function kb(bytes: number): string {
  return `${round(bytes / 1024, 2)} KB`;
}
