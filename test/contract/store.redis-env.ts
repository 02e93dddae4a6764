/**
 * Where the Redis used by the store tests lives, and whether to run those tests.
 * Tests (unlike `adapters/`) may read the environment.
 */
import { spawnSync } from 'node:child_process';

export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A synchronous probe, because jest collects tests synchronously: a short child process opens a
 * TCP connection and sends PING. Any reply (even `-NOAUTH`) means a Redis is there.
 */
function redisAnswers(url: string): boolean {
  const probe = `
    const net = require('node:net');
    const u = new URL(process.argv[1]);
    const s = net.connect(Number(u.port || 6379), u.hostname.replace(/^\\[|\\]$/g, ''));
    s.setTimeout(1500, () => process.exit(1));
    s.on('connect', () => s.write('PING\\r\\n'));
    s.on('data', () => process.exit(0));
    s.on('error', () => process.exit(1));
  `;
  const result = spawnSync(process.execPath, ['-e', probe, url], { timeout: 3000 });
  return result.status === 0;
}

/**
 * `describe` for tests that need Redis. Under `CI=true` they always run (a missing Redis must fail
 * the build, not skip silently); locally they are skipped, loudly, when Redis is not running.
 */
export function describeWithRedis(name: string, fn: () => void): void {
  if (process.env.CI === 'true' || redisAnswers(redisUrl)) {
    describe(name, fn);
    return;
  }
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED "${name}": no Redis answers at ${redisUrl}. Start one or set REDIS_URL (CI=true never skips).`);
  describe.skip(name, fn);
}
