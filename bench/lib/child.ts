/**
 * Server processes under test run as children, so their memory and CPU are their own and the
 * load generator never shares their event loop. Parent and child talk over the IPC channel:
 * `call(cmd, args)` gets one reply per request.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface ChildOptions {
  /** Passed to the child as JSON in BENCH_CHILD_CONFIG. */
  config: unknown;
  /** Write a V8 CPU profile here when the child exits (node --cpu-prof). */
  cpuProfileDir?: string;
  cpuProfileName?: string;
  /** Extra environment (e.g. the dummy AWS credentials the SDK's default chain reads). */
  env?: Record<string, string>;
}

export interface ChildHandle {
  readonly url: string;
  readonly pid: number;
  readonly info: Record<string, unknown>;
  call<T = any>(cmd: string, args?: unknown): Promise<T>;
  /** Asks the child to stop gracefully (so a CPU profile gets written), then waits for exit. */
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '..', '..');

export async function startChild(entry: string, options: ChildOptions): Promise<ChildHandle> {
  const execArgv = ['--import', 'tsx', '--expose-gc'];
  if (options.cpuProfileDir) {
    execArgv.push('--enable-source-maps', '--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir);
    if (options.cpuProfileName) execArgv.push('--cpu-prof-name', options.cpuProfileName);
  }
  const child: ChildProcess = fork(path.join(ROOT, 'bench', entry), [], {
    cwd: ROOT,
    execArgv,
    env: { ...process.env, ...options.env, BENCH_CHILD_CONFIG: JSON.stringify(options.config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });

  let nextId = 1;
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      for (const p of pending.values()) p.reject(new Error(`${entry} exited (code ${code}, signal ${signal})`));
      pending.clear();
      resolve();
    });
  });

  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not start within 60 s`)), 60_000);
    child.on('message', (msg: any) => {
      if (msg?.type === 'ready') {
        clearTimeout(timer);
        resolve(msg);
      } else if (msg?.type === 'fatal') {
        clearTimeout(timer);
        reject(new Error(`${entry}: ${msg.error}`));
      } else if (typeof msg?.id === 'number') {
        const p = pending.get(msg.id);
        if (!p) return;
        pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.result);
        else p.reject(new Error(`${entry} ${msg.cmd}: ${msg.error}`));
      }
    });
    void exit.then(() => reject(new Error(`${entry} exited before it was ready`)));
  });

  const info = await ready.catch((e) => {
    if (!exited) child.kill('SIGKILL');
    throw e;
  });

  return {
    url: String(info.url),
    pid: child.pid ?? 0,
    info,
    call(cmd, args) {
      if (exited) return Promise.reject(new Error(`${entry} is not running`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, cmd, args });
      });
    },
    async stop() {
      if (exited) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      try {
        child.send({ id: nextId++, cmd: 'shutdown' });
      } catch {
        child.kill('SIGKILL');
      }
      await exit;
      clearTimeout(timer);
    },
  };
}
