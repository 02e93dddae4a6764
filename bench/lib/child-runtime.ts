/**
 * The child side of `child.ts`: answers the parent's commands. Every server child gets the
 * common ones (memory, cpu, probe, shutdown) and adds its own.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { findSourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { LatencyProbe } from './probe';

export type Handler = (args: any) => unknown;

export interface ChildServer {
  url: string;
  info?: Record<string, unknown>;
  handlers?: Record<string, Handler>;
  stop(): Promise<void>;
}

export interface MemorySnapshot {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export function childConfig<T>(): T {
  return JSON.parse(process.env.BENCH_CHILD_CONFIG ?? '{}') as T;
}

/** Full GCs until the heap stops shrinking, then a memory snapshot. */
export async function measureMemory(): Promise<MemorySnapshot> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    let last = Infinity;
    for (let i = 0; i < 6; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
      const used = process.memoryUsage().heapUsed;
      if (Math.abs(last - used) < 64 * 1024) break;
      last = used;
    }
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
}

export async function runChild(start: (probe: LatencyProbe) => Promise<ChildServer>): Promise<void> {
  const probe = new LatencyProbe();
  probe.install();
  let server: ChildServer;
  try {
    server = await start(probe);
  } catch (e) {
    process.send?.({ type: 'fatal', error: (e as Error).stack ?? String(e) });
    process.exit(1);
  }
  let session: Session | undefined;
  let cpuMark = process.cpuUsage();
  let eluMark: EventLoopUtilization = performance.eventLoopUtilization();
  let wallMark = performance.now();

  const common: Record<string, Handler> = {
    memory: () => measureMemory(),
    /** CPU time and event-loop utilization since the previous `cpu` call. */
    cpu: () => {
      const cpu = process.cpuUsage(cpuMark);
      const elu = performance.eventLoopUtilization(eluMark);
      const wallMs = performance.now() - wallMark;
      cpuMark = process.cpuUsage();
      eluMark = performance.eventLoopUtilization();
      wallMark = performance.now();
      return { userMs: cpu.user / 1000, systemMs: cpu.system / 1000, wallMs, eventLoopUtilization: elu.utilization };
    },
    'probe-start': () => probe.start(),
    /** Profile one phase (node:inspector, same format as --cpu-prof). */
    'profile-start': async () => {
      session ??= new Session();
      session.connect();
      await post(session, 'Profiler.enable');
      await post(session, 'Profiler.setSamplingInterval', { interval: 200 });
      await post(session, 'Profiler.start');
      return true;
    },
    'profile-stop': async ({ file }: { file: string }) => {
      if (!session) throw new Error('no profile running');
      const { profile } = (await post(session, 'Profiler.stop')) as { profile: { nodes: { callFrame: CallFrame }[] } };
      session.disconnect();
      for (const node of profile.nodes) remap(node.callFrame);
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
    'probe-collect': () => probe.collect(),
    /** A V8 heap snapshot (after full GCs) written to `file`, for Chrome DevTools or a script. */
    'heap-snapshot': async ({ file }: { file: string }) => {
      await measureMemory();
      return writeHeapSnapshot(file);
    },
    shutdown: async () => {
      await server.stop();
      setImmediate(() => process.exit(0));
      return true;
    },
  };
  const handlers = { ...common, ...server.handlers };

  process.on('message', async (msg: any) => {
    const handler = handlers[msg?.cmd];
    try {
      if (!handler) throw new Error(`unknown command ${msg?.cmd}`);
      const result = await handler(msg.args);
      process.send?.({ id: msg.id, cmd: msg.cmd, ok: true, result });
    } catch (e) {
      process.send?.({ id: msg.id, cmd: msg.cmd, ok: false, error: (e as Error).stack ?? String(e) });
    }
  });
  // The parent going away must not leave a server running.
  process.on('disconnect', () => {
    void server.stop().finally(() => process.exit(0));
  });
  process.send?.({ type: 'ready', url: server.url, pid: process.pid, ...server.info });
}

function post(session: Session, method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

/**
 * tsx compiles TypeScript on load, so profile positions point into its output. With
 * --enable-source-maps (set when profiling) Node keeps tsx's inline maps: map each frame of a
 * project file back to its TypeScript line.
 */
function remap(cf: CallFrame): void {
  if (!cf.url || cf.url.includes('node_modules') || !/\.ts$/.test(cf.url)) return;
  try {
    const file = cf.url.startsWith('file:') ? fileURLToPath(cf.url) : cf.url;
    const entry = findSourceMap(file)?.findEntry(cf.lineNumber, cf.columnNumber) as
      | { originalLine?: number; originalColumn?: number; name?: string }
      | undefined;
    if (entry?.originalLine === undefined) return;
    cf.lineNumber = entry.originalLine;
    cf.columnNumber = entry.originalColumn ?? 0;
  } catch {
    // leave the frame as it is
  }
}
