/**
 * A real bridge process for tests that kill one (`npm start`-like: node with tsx's loader, not the
 * tsx wrapper, which would survive as a parent whose child, the bridge, a SIGKILL does not reach).
 * The test's own environment is passed on without what would point the child elsewhere.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '../..');

export interface BridgeProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<unknown>;
}

export interface BridgeProcessOptions {
  /** The entry point, from the repository root (`bots/main.ts`, a test desk's main). */
  entry: string;
  env: Record<string, string>;
  /** Variables of this process not to pass on (matched at the start of the name). */
  drop?: RegExp;
  /** Where the child is recorded, so the test can kill what is left. */
  children: ChildProcess[];
}

const ALWAYS_DROPPED = /^(REDIS_URL|BRIDGE_CONFIG|PORT|HOST|MicrosoftApp|STORE_NAMESPACE)/;

/** Start it on an ephemeral port; resolves once its banner says where it listens. */
export async function startBridgeProcess(options: BridgeProcessOptions): Promise<BridgeProcess> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !ALWAYS_DROPPED.test(k) && !(options.drop?.test(k) ?? false)),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', options.entry], {
    cwd: root,
    env: { ...clean, LOG_LEVEL: 'warn', PORT: '0', HOST: '127.0.0.1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.children.push(child);
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // Generous: several starts on two shared cores take long; a child that exits fails at once.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = /Live Agent Bridge on (http:\/\/\S+)/.exec(out);
    if (m) return { child, url: m[1], output: () => out, exited };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`bridge did not start: ${out}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
