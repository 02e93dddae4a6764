/**
 * A Redis of the test's own: `redis-server` as a child process on a free port, in a temp dir, so
 * a test can stop it and start it again (same port, same data dir) without touching the shared
 * Redis other tests use. With `appendonly yes` and `appendfsync always`, what was written before
 * a stop is there after the start, as with a production Redis configured for durability.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether `redis-server` can be run here (its `--version` answers). */
export function redisServerAvailable(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { timeout: 5000 });
  return probe.status === 0;
}

/**
 * `describe` for tests that start their own Redis. Under `CI=true` they always run, and fail at
 * once with a clear message when `redis-server` is missing; locally they are skipped, loudly.
 */
export function describeWithRedisServer(name: string, fn: () => void): void {
  if (redisServerAvailable()) {
    describe(name, fn);
    return;
  }
  const why = 'redis-server is not on PATH: this test starts and stops a Redis of its own (Debian: apt-get install redis-server)';
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs redis-server', () => {
        throw new Error(why);
      });
    });
    return;
  }
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED "${name}": ${why}. CI=true never skips.`);
  describe.skip(name, fn);
}

export interface OwnRedis {
  readonly port: number;
  readonly url: string;
  /** Start (again) on the same port and data dir; resolves once it answers PING. */
  start(): Promise<void>;
  /** SIGTERM (Redis flushes its append-only file and exits); resolves once the process is gone. */
  stop(): Promise<void>;
  /** Stop if running and remove the data dir. */
  dispose(): Promise<void>;
}

export async function ownRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bridge-redis-'));
  let child: ChildProcess | undefined;
  let output = '';

  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    await exited;
  };

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child) throw new Error('own Redis already running');
      output = '';
      const started = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child = started;
      started.stdout?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-4000)));
      started.stderr?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-4000)));
      const deadline = Date.now() + 15_000;
      while (!(await answersPing(port))) {
        if (started.exitCode !== null) throw new Error(`redis-server exited with ${started.exitCode}:\n${output}`);
        if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port} within 15 s:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port nothing listens on right now (the OS picks it). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** PING over a plain socket; true on `+PONG` (a Redis still loading its data answers `-LOADING`). */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (b: Buffer) => done(b.toString().startsWith('+PONG')));
    socket.on('error', () => done(false));
  });
}
