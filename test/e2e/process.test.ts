/**
 * The process as operators run it: `bots/main.ts` started as a child process. A bad
 * configuration stops it with one readable message; SIGTERM drains and exits 0, even with an
 * agent's event stream open.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');

function start(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(REDIS_URL|BRIDGE_CONFIG|PORT|HOST|MicrosoftApp)/.test(k)),
  );
  const child = spawn(tsx, ['bots/main.ts'], {
    cwd: root,
    env: { ...clean, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(check: () => RegExpMatchArray | null, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = check();
    if (m) return m;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the bridge process', () => {
  it('refuses a bad configuration with one message naming every wrong key', async () => {
    const p = start({ PORT: 'eighty', REDIS_URL: 'http://not-redis' });
    expect(await p.exited).toBe(1);
    expect(p.output()).toMatch(/Invalid configuration:/);
    expect(p.output()).toMatch(/server\.port \(from environment variable PORT\)/);
    expect(p.output()).toMatch(/store\.redisUrl \(from environment variable REDIS_URL\)/);
  });

  it('on a public address without Bot Framework credentials, runs with Teams switched off', async () => {
    const p = start({ PORT: '0', HOST: '0.0.0.0' });
    try {
      const [, port] = await waitFor(() => p.output().match(/Live Agent Bridge on http:\/\/0\.0\.0\.0:(\d+)/), 20_000);
      expect(p.output()).toMatch(/Teams is OFF/);
      expect(p.output()).toMatch(/Teams: +off/);
      const res = await fetch(`http://127.0.0.1:${port}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"type":"message"}',
      });
      expect(res.status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  });

  it('starts on defaults, prints where to go, and drains on SIGTERM with exit 0', async () => {
    const p = start({ PORT: '0' });
    try {
      const [, url] = await waitFor(() => p.output().match(/Live Agent Bridge on (http:\/\/\S+)/), 20_000);
      const [, token] = await waitFor(() => p.output().match(/token: (\S+)/), 5000);
      expect(p.output()).toContain(`${url}/console`);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);

      // An agent's open event stream must not keep the process from stopping.
      const controller = new AbortController();
      const stream = await fetch(`${url}/console/api/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
      expect(stream.status).toBe(200);
      const reading = stream
        .body!.getReader()
        .read()
        .catch(() => undefined);
      await reading;

      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      controller.abort();
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  });
});
