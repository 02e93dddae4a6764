/**
 * The kit's retry pieces: which failures are worth another attempt per mode, the wait before it
 * (backoff with jitter, `Retry-After` honoured and capped), the loop (free re-tries do not
 * count, the last failure is thrown), and the vendor HTTP client over real HTTP on 127.0.0.1,
 * naming its vendor in errors and logs.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeskHttp } from '../../../../adapters/desks/kit/http-client';
import { retryableStatus, retryDelayMs, withRetries } from '../../../../adapters/desks/kit/retry';
import { systemClock } from '../../../../bots/core/clock';
import { FakeClock, RecordingLogger } from '../../../helpers/core-fakes';

const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 5000 };

describe('kit retryableStatus', () => {
  it.each([
    ['safe', undefined, true],
    ['safe', 408, true],
    ['safe', 429, true],
    ['safe', 500, true],
    ['safe', 503, true],
    ['safe', 501, false],
    ['safe', 505, false],
    ['safe', 400, false],
    ['safe', 401, false],
    ['unprocessed', 429, true],
    ['unprocessed', 503, true],
    ['unprocessed', 500, false],
    ['unprocessed', undefined, false],
    ['never', 503, false],
    ['never', undefined, false],
  ] as const)('%s, %s -> %s', (mode, status, expected) => {
    expect(retryableStatus(mode, status)).toBe(expected);
  });
});

describe('kit retryDelayMs', () => {
  const now = Date.UTC(2025, 0, 6, 9);
  it('doubles per attempt up to the cap, ±20% jitter', () => {
    expect([1, 2, 3].map((a) => retryDelayMs(policy, a, undefined, now, () => 0.5))).toEqual([100, 200, 400]);
    expect(retryDelayMs(policy, 10, undefined, now, () => 0.5)).toBe(5000);
    expect(retryDelayMs(policy, 1, undefined, now, () => 0)).toBe(80);
    expect(retryDelayMs(policy, 1, undefined, now, () => 1)).toBe(120);
  });

  it('takes Retry-After (seconds or an HTTP date) over the backoff, and gives up when it is over the cap', () => {
    expect(retryDelayMs(policy, 1, '2', now)).toBe(2000);
    expect(retryDelayMs(policy, 1, new Date(now + 3000).toUTCString(), now)).toBe(3000);
    expect(retryDelayMs(policy, 1, '3600', now)).toBeUndefined();
    // Unreadable: the backoff applies.
    expect(retryDelayMs(policy, 1, 'soon', now, () => 0.5)).toBe(100);
  });
});

describe('kit withRetries', () => {
  it('waits between attempts on the clock, does not count a free re-try, and throws the last failure', async () => {
    const clock = new FakeClock();
    const waits: number[] = [];
    const outcomes = ['again', 'retry', 'retry', 'retry', 'retry', 'never reached'];
    let calls = 0;
    const running = withRetries({ clock, random: () => 0.5 }, policy, {
      attempt: async () => outcomes[calls++],
      judge: (o) => (o === 'again' ? { kind: 'again' } : { kind: 'retry' }),
      failure: (o, attempts) => new Error(`${o} after ${attempts}`),
      onRetry: (_o, _attempt, waitMs) => {
        waits.push(waitMs);
        // Let the loop reach its wait, then let the wait pass.
        setImmediate(() => clock.advance(waitMs));
      },
    });
    await expect(running).rejects.toThrow('retry after 4');
    expect(calls).toBe(5); // the free one and four counted attempts
    expect(waits).toEqual([100, 200, 400]);
  });

  it('resolves the outcome judged done, and stops at once on fail', async () => {
    const clock = new FakeClock();
    const done = await withRetries({ clock }, policy, {
      attempt: async () => 42,
      judge: () => ({ kind: 'done' }),
      failure: () => new Error('no'),
    });
    expect(done).toBe(42);
    let calls = 0;
    await expect(
      withRetries({ clock }, policy, {
        attempt: async () => ++calls,
        judge: () => ({ kind: 'fail' }),
        failure: (o) => new Error(`failed at ${o}`),
      }),
    ).rejects.toThrow('failed at 1');
  });
});

describe('kit DeskHttp over real HTTP', () => {
  let server: Server;
  let url: string;
  const statuses: number[] = [];
  let hits = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      const status = statuses.shift() ?? 200;
      if (status === 429) res.setHeader('Retry-After', '0');
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status < 300 ? JSON.stringify({ path: req.url }) : '{"error":"busy"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    hits = 0;
  });

  const client = (logger = new RecordingLogger()) =>
    new DeskHttp({ fetch, clock: systemClock, logger }, { ...policy, timeoutMs: 5000 }, { name: 'Acme Desk', log: 'acme' });

  it('retries a 429 after its Retry-After and returns the JSON answer; the retry is logged under the vendor', async () => {
    statuses.push(429);
    const logger = new RecordingLogger();
    await expect(client(logger).json({ op: 'open chat', method: 'POST', url: `${url}/chats`, body: '{}', retry: 'safe' })).resolves.toEqual(
      {
        path: '/chats',
      },
    );
    expect(hits).toBe(2);
    expect(logger.lines.map((l) => l.msg)).toEqual(['acme: request failed; retrying']);
  });

  it('names the vendor in its typed errors', async () => {
    statuses.push(400);
    await expect(client().send({ op: 'open chat', method: 'POST', url, retry: 'safe' })).rejects.toMatchObject({
      code: 'desk_rejected',
      status: 400,
      message: 'Acme Desk rejected open chat (HTTP 400)',
    });
    statuses.push(503);
    await expect(client().send({ op: 'typing', method: 'POST', url, retry: 'never' })).rejects.toMatchObject({
      code: 'desk_unavailable',
      retryable: true,
      message: 'Acme Desk did not take typing (HTTP 503, 1 attempt)',
    });
    expect(hits).toBe(2);
  });
});
