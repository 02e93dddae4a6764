/**
 * The ServiceNow HTTP layer and credentials, with `fetch` and the clock injected: retries on
 * 429/5xx and network errors honouring Retry-After, typed errors, OAuth tokens cached and
 * refreshed before they expire, and webhook verification in every mode.
 */
import { createHmac } from 'node:crypto';
import type { Clock } from '../../../../bots/core/ports';
import { RestAuth, messageAuthHeaders, signature } from '../../../../adapters/desks/servicenow/auth';
import { countAvailable } from '../../../../adapters/desks/servicenow/availability';
import { servicenowDeskSchema } from '../../../../adapters/desks/servicenow/config';
import { ServiceNowHttp, type HttpRequest } from '../../../../adapters/desks/servicenow/http';
import { retryAfterMs } from '../../../../bots/http/retry-after';
import { WebhookAuth } from '../../../../adapters/desks/servicenow/webhook-auth';
import { RecordingLogger } from '../../../helpers/console-harness';

/** A clock whose timers fire at once (recording the delay asked for); `now` is settable. */
class InstantClock implements Clock {
  t = 1_700_000_000_000;
  readonly waits: number[] = [];
  now() {
    return this.t;
  }
  setTimer(ms: number, fn: () => void) {
    this.waits.push(ms);
    this.t += ms;
    queueMicrotask(fn);
    return { cancel: () => undefined };
  }
}

type Step = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

function scriptedFetch(steps: Step[]) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fn = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const step = steps.shift() ?? { status: 200, body: { status: 'success' } };
    if (step instanceof Error) throw step;
    return new Response(step.body === undefined ? '' : JSON.stringify(step.body), { status: step.status, headers: step.headers });
  }) as unknown as typeof fetch;
  return { fn, calls };
}

const policy = { timeoutMs: 1000, attempts: 4, baseDelayMs: 100, maxDelayMs: 5000 };
const req = (extra: Partial<HttpRequest> = {}): HttpRequest => ({
  op: 'test call',
  method: 'POST',
  url: 'https://inst.example/api',
  body: '{}',
  retry: 'safe',
  ...extra,
});

describe('ServiceNowHttp', () => {
  let clock: InstantClock;
  let logger: RecordingLogger;
  beforeEach(() => {
    clock = new InstantClock();
    logger = new RecordingLogger();
  });
  const http = (steps: Step[], p = policy) => {
    const f = scriptedFetch(steps);
    return { http: new ServiceNowHttp({ fetch: f.fn, clock, logger, random: () => 0.5 }, p), calls: f.calls };
  };

  it('retries 500, 502 and network errors with exponential backoff, then succeeds', async () => {
    const { http: h, calls } = http([
      { status: 500 },
      { status: 502 },
      new TypeError('fetch failed'),
      { status: 200, body: { status: 'success' } },
    ]);
    await expect(h.json(req())).resolves.toEqual({ status: 'success' });
    expect(calls).toHaveLength(4);
    expect(clock.waits).toEqual([100, 200, 400]);
  });

  it('honours Retry-After (seconds and HTTP date) on 429 and 503', async () => {
    const date = new Date(clock.t + 3000).toUTCString();
    const { http: h } = http([
      { status: 429, headers: { 'Retry-After': '2' } },
      { status: 503, headers: { 'Retry-After': date } },
      { status: 200 },
    ]);
    await h.send(req());
    expect(clock.waits[0]).toBe(2000);
    expect(clock.waits[1]).toBeGreaterThanOrEqual(1000); // the date is 3 s after the original now; 2 s already passed
    expect(clock.waits[1]).toBeLessThanOrEqual(3000);
  });

  it('gives up with desk_unavailable (retryable) after the last attempt', async () => {
    const { http: h, calls } = http([{ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }, { status: 200 }]);
    await expect(h.send(req())).rejects.toMatchObject({ code: 'desk_unavailable', retryable: true, status: 500 });
    expect(calls).toHaveLength(4);
  });

  it('stops at once when Retry-After asks for longer than it may wait', async () => {
    const { http: h, calls } = http([{ status: 429, headers: { 'Retry-After': '3600' } }]);
    await expect(h.send(req())).rejects.toMatchObject({ code: 'desk_unavailable', status: 429 });
    expect(calls).toHaveLength(1);
  });

  it('does not retry 400 (desk_rejected) or 403 (desk_auth_failed)', async () => {
    await expect(http([{ status: 400, body: { status: 'failure' } }]).http.send(req())).rejects.toMatchObject({
      code: 'desk_rejected',
      status: 400,
    });
    await expect(http([{ status: 403 }]).http.send(req())).rejects.toMatchObject({ code: 'desk_auth_failed', status: 403 });
  });

  it('creates ("unprocessed") retry only 429/503, never a 500 or a timeout that may have been applied', async () => {
    const a = http([{ status: 500 }]);
    await expect(a.http.send(req({ retry: 'unprocessed' }))).rejects.toMatchObject({ code: 'desk_unavailable' });
    expect(a.calls).toHaveLength(1);
    const b = http([{ status: 503 }, { status: 201 }]);
    await expect(b.http.send(req({ retry: 'unprocessed' }))).resolves.toMatchObject({ status: 201 });
  });

  it('times out a request that does not answer, and retries it', async () => {
    const calls: number[] = [];
    const hanging = ((_url: string, init: RequestInit) => {
      calls.push(1);
      if (calls.length === 1) {
        return new Promise((_r, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)));
      }
      return Promise.resolve(new Response('{"status":"success"}', { status: 200 }));
    }) as unknown as typeof fetch;
    const h = new ServiceNowHttp({ fetch: hanging, clock, logger }, { ...policy, timeoutMs: 50 });
    await expect(h.json(req())).resolves.toEqual({ status: 'success' });
    expect(calls).toHaveLength(2);
    expect(logger.text()).toMatch(/timeout/);
  });

  it('on a 401 asks for fresh credentials once, without counting it as a retry', async () => {
    const { http: h, calls } = http([{ status: 401 }, { status: 200 }]);
    const onUnauthorized = jest.fn(async () => true);
    await h.send(req({ onUnauthorized }));
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(calls).toHaveLength(2);
  });

  it('refuses an answer larger than maxBytes', async () => {
    const { http: h } = http([{ status: 200, body: 'x'.repeat(2000) }]);
    await expect(h.send(req({ maxBytes: 100 }))).rejects.toMatchObject({ code: 'file_rejected' });
  });

  it('parses Retry-After', () => {
    expect(retryAfterMs('1.5', 0)).toBe(1500);
    expect(retryAfterMs('nonsense', 0)).toBeUndefined();
    expect(retryAfterMs(null, 0)).toBeUndefined();
  });
});

describe('RestAuth (OAuth)', () => {
  const settings = servicenowDeskSchema.parse({
    instanceUrl: 'https://inst.example',
    auth: { mode: 'oauth', clientId: 'cid', clientSecret: 'csecret', username: 'svc', password: 'pw' },
    webhook: { auth: { secret: 'x'.repeat(16) } },
  }).auth;

  it('fetches one token for concurrent callers, reuses it, and refreshes it before it expires', async () => {
    const clock = new InstantClock();
    const steps: Step[] = [
      { status: 200, body: { access_token: 'A1', refresh_token: 'R1', expires_in: 1800, token_type: 'Bearer' } },
      { status: 200, body: { access_token: 'A2', refresh_token: 'R2', expires_in: 1800 } },
    ];
    const f = scriptedFetch(steps);
    const logger = new RecordingLogger();
    const auth = new RestAuth(settings, 'https://inst.example', new ServiceNowHttp({ fetch: f.fn, clock, logger }, policy), clock, logger);
    const [a, b] = await Promise.all([auth.headers(), auth.headers()]);
    expect(a).toEqual({ Authorization: 'Bearer A1' });
    expect(b).toEqual(a);
    expect(f.calls).toHaveLength(1);
    expect(f.calls[0].url).toBe('https://inst.example/oauth_token.do');
    expect(Object.fromEntries(new URLSearchParams(String(f.calls[0].init.body)))).toEqual({
      grant_type: 'password',
      username: 'svc',
      password: 'pw',
      client_id: 'cid',
      client_secret: 'csecret',
    });

    clock.t += 1000 * 1000; // well inside the lifetime
    expect(await auth.headers()).toEqual({ Authorization: 'Bearer A1' });
    clock.t += 1000 * 1000 - 30_000; // 30 s before expiry: inside the 60 s refresh margin
    expect(await auth.headers()).toEqual({ Authorization: 'Bearer A2' });
    expect(Object.fromEntries(new URLSearchParams(String(f.calls[1].init.body)))).toMatchObject({
      grant_type: 'refresh_token',
      refresh_token: 'R1',
    });
    expect(logger.text()).not.toMatch(/A1|A2|R1|csecret|pw"/);
  });

  it('falls back to a full grant when the refresh token is refused, and drops the token on invalidate', async () => {
    const clock = new InstantClock();
    const f = scriptedFetch([
      { status: 200, body: { access_token: 'A1', refresh_token: 'R1', expires_in: 60 } },
      { status: 401, body: { error: 'invalid_grant' } },
      { status: 200, body: { access_token: 'A2', expires_in: 1800 } },
      { status: 200, body: { access_token: 'A3', expires_in: 1800 } },
    ]);
    const logger = new RecordingLogger();
    const auth = new RestAuth(settings, 'https://inst.example', new ServiceNowHttp({ fetch: f.fn, clock, logger }, policy), clock, logger);
    await auth.headers();
    clock.t += 61_000;
    expect(await auth.headers()).toEqual({ Authorization: 'Bearer A2' });
    expect(await auth.invalidate()).toBe(true);
    expect(await auth.headers()).toEqual({ Authorization: 'Bearer A3' });
  });
});

describe('message auth and webhook verification', () => {
  const body = '{"requestId":"r1","message":{"text":"héllo","typed":true}}';

  it('x-b2b-signature is hex HMAC-SHA1 of the exact body; token is a header', () => {
    const expected = createHmac('sha1', 'shh').update(body).digest('hex');
    expect(messageAuthHeaders({ mode: 'signature', secret: 'shh' }, body)).toEqual({ 'x-b2b-signature': expected });
    expect(signature('shh', body)).toBe(expected);
    expect(messageAuthHeaders({ mode: 'token', secret: 'tok' }, body)).toEqual({ token: 'tok' });
    expect(messageAuthHeaders({ mode: 'none' }, body)).toEqual({});
  });

  const clock = new InstantClock();
  const secret = 'webhook-secret-0123456789';
  const verifier = (auth: object) =>
    new WebhookAuth(
      servicenowDeskSchema.parse({
        instanceUrl: 'https://i.example',
        auth: { mode: 'none' },
        messageAuth: { mode: 'token', secret: 't' },
        availability: { enabled: false },
        webhook: { auth: { secret, ...auth } },
      }).webhook.auth,
      clock,
    );
  const raw = Buffer.from(JSON.stringify(JSON.parse(body), null, 2)); // pretty-printed on the wire

  it.each([
    ['header (default name "token")', {}, { token: secret }, { token: 'wrong' }],
    ['header (custom name)', { mode: 'header', header: 'X-Bridge-Secret' }, { 'x-bridge-secret': secret }, { token: secret }],
    [
      'basic',
      { mode: 'basic', username: 'servicenow' },
      { authorization: `Basic ${Buffer.from(`servicenow:${secret}`).toString('base64')}` },
      { authorization: `Basic ${Buffer.from(`other:${secret}`).toString('base64')}` },
    ],
    [
      'signature over the raw bytes',
      { mode: 'signature' },
      { 'x-b2b-signature': createHmac('sha1', secret).update(raw).digest('hex') },
      { 'x-b2b-signature': createHmac('sha1', 'nope').update(raw).digest('hex') },
    ],
    [
      'signature over compact JSON (the documented recipe)',
      { mode: 'signature' },
      {
        'x-b2b-signature': createHmac('sha1', secret)
          .update(JSON.stringify(JSON.parse(body)))
          .digest('hex')
          .toUpperCase(),
      },
      {},
    ],
    [
      'signature as base64',
      { mode: 'signature' },
      { 'x-b2b-signature': createHmac('sha1', secret).update(raw).digest('base64') },
      { 'x-b2b-signature': 'garbage' },
    ],
  ])('%s: right credentials pass, wrong ones do not', (_label, auth, good, bad) => {
    const v = verifier(auth);
    expect(v.verify(good, raw)).toBe(true);
    expect(v.verify(bad, raw)).toBe(false);
    expect(v.verify({}, raw)).toBe(false);
  });

  it('oauth: issues tokens for the right client only; tokens expire and cannot be forged', () => {
    const v = verifier({ mode: 'oauth', clientId: 'servicenow' });
    expect(v.issueToken({ grantType: 'client_credentials', clientId: 'servicenow', clientSecret: 'wrong' })).toBeUndefined();
    expect(v.issueToken({ grantType: 'password', clientId: 'servicenow', clientSecret: secret })).toBeUndefined();
    const token = v.issueToken({ grantType: 'client_credentials', clientId: 'servicenow', clientSecret: secret })!;
    expect(token).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(v.verify({ authorization: `Bearer ${token.access_token}` }, raw)).toBe(true);
    const forged = token.access_token.replace(/^v1\.[^.]+/, `v1.${(clock.t + 10 ** 9).toString(36)}`);
    expect(v.verify({ authorization: `Bearer ${forged}` }, raw)).toBe(false);
    clock.t += 3601 * 1000;
    expect(v.verify({ authorization: `Bearer ${token.access_token}` }, raw)).toBe(false);
  });
});

describe('availability rows', () => {
  const s = { channelSysId: 'chat', availableStateSysId: 'avail', requireFreeCapacity: true };
  it('counts distinct available agents on the chat channel with free capacity, in every value shape', () => {
    const rows = [
      {
        ap_agent: 'a1',
        ap_current_presence_state: 'avail',
        ac_channel: 'chat',
        aca_available: 'true',
        ac_workload: '1',
        ac_applied_max_capacity: '3',
      },
      {
        ap_agent: { value: 'a1', link: 'x' },
        ap_current_presence_state: { value: 'avail' },
        ac_channel: { value: 'chat' },
        aca_available: true,
        ac_workload: 0,
        ac_applied_max_capacity: 3,
      },
      {
        ap_agent: { value: 'a2', display_value: 'Carl' },
        ap_current_presence_state: { value: 'avail' },
        ac_channel: { value: 'chat' },
        aca_available: 'true',
        ac_workload: '3',
        ac_applied_max_capacity: '3',
      },
      {
        ap_agent: 'a3',
        ap_current_presence_state: 'avail',
        ac_channel: 'email',
        aca_available: 'true',
        ac_workload: '0',
        ac_applied_max_capacity: '3',
      },
      {
        ap_agent: 'a4',
        ap_current_presence_state: 'away',
        ac_channel: 'chat',
        aca_available: 'true',
        ac_workload: '0',
        ac_applied_max_capacity: '3',
      },
      {
        ap_agent: 'a5',
        ap_current_presence_state: 'avail',
        ac_channel: 'chat',
        aca_available: 'false',
        ac_workload: '0',
        ac_applied_max_capacity: '3',
      },
    ];
    expect(countAvailable(rows as never, s)).toBe(1);
    expect(countAvailable(rows as never, { ...s, requireFreeCapacity: false })).toBe(2);
  });
});
