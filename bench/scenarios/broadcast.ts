/**
 * Broadcast fan-out: time to hand N recipients (default 10,000: 80% Teams, 20% Slack) to the fake
 * platforms through the broadcast API, and proof from the fakes' own receive times that the
 * pacing limits held.
 *
 * - Users are made through the real paths: each says "hi" (a Teams activity to `/api/messages`,
 *   a signed Slack event to `/slack/events`) and the bot greets them, which stores their
 *   conversation. `POST /api/broadcasts` (bearer token) with `recipients: "all"` then reaches
 *   every user the bot knows.
 * - The fakes record each broadcast card (found by a marker in its title) with its receive time.
 *   Proof: per surface, the most sends in any 1-second window (half-open, sliding over every
 *   send) is at most the configured rate; every recipient got each broadcast exactly once; the
 *   broadcast's own report says delivered = N, failed 0, pending 0.
 * - The main run uses a higher configured rate (`--broadcast-rates`, default teams 200/s, slack
 *   50/s) so it ends in under a minute; the proof is that the configured limit holds, whatever it
 *   is. A second, smaller run uses the shipped defaults (teams 40/s, slack 20/s, 1.1 s between two
 *   messages to one user) and sends two broadcasts at once to the same users, so the per-user
 *   spacing is measured too (the smallest gap between one user's two messages).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { startChild, type ChildHandle } from '../lib/child';
import { startFakeConnector, type ConnectorActivity } from '../lib/fake-connector';
import { BENCH_SLACK_TOKEN, startFakeSlackApi } from '../lib/fake-slack-api';
import { HttpClient } from '../lib/http';
import { pool, round, sleep } from '../lib/stats';
import type { BenchUser } from '../lib/teams';
import { BENCH_SLACK_SIGNING_SECRET, slackWire, teamsWire, type UserWire } from '../lib/wire';
import { benchAgents } from './relay-teams';
import type { Scenario, ScenarioContext, ScenarioResult, Target } from './types';

type Surface = 'teams' | 'slack';

/** The shipped defaults (bots/core/broadcasts.ts). */
export const DEFAULT_RATES: Record<Surface, number> = { teams: 40, slack: 20 };
export const DEFAULT_MIN_INTERVAL_MS = 1100;

export interface BroadcastRunOptions {
  label: string;
  users: Record<Surface, number>;
  rates: Record<Surface, number>;
  /** Broadcasts sent at once to everyone (2+ measures the per-user spacing). */
  broadcasts: number;
  minIntervalPerUserMs: number;
}

export interface SurfaceProof {
  surface: Surface;
  sends: number;
  configuredRate: number;
  /** Most sends in any 1-second window, at the fake. */
  maxInAnySecond: number;
  /** Sends per second from the first to the last, at the fake. */
  averageRate: number;
  seconds: number;
}

export interface BroadcastRun {
  label: string;
  recipients: number;
  broadcasts: number;
  /** Making the users over the wire. */
  setupSeconds: number;
  /** From the first POST /api/broadcasts to the last send received by a fake. */
  handOffSeconds: number;
  perSurface: SurfaceProof[];
  delivered: number;
  expected: number;
  duplicates: number;
  missing: number;
  /** From the broadcast API's own report, summed over broadcasts. */
  reported: { delivered: number; failed: number; pending: number; unknown: number };
  minIntervalPerUserMs: number;
  /** Smallest gap between two messages to one user (2+ broadcasts), ms. */
  minUserGapMs?: number;
  ok: boolean;
  problems: string[];
}

async function broadcastRun(ctx: ScenarioContext, o: BroadcastRunOptions): Promise<BroadcastRun> {
  const connector = await startFakeConnector();
  const slackApi = await startFakeSlackApi();
  const token = randomBytes(24).toString('hex');
  const namespace = `bench-bc-${process.pid}-${Date.now()}`;
  let child: ChildHandle | undefined;
  let client: HttpClient | undefined;
  const problems: string[] = [];
  try {
    child = await startChild('server-bridge.ts', {
      config: {
        namespace,
        agents: benchAgents(1),
        queueTimeoutSeconds: 3600,
        slack: { botToken: BENCH_SLACK_TOKEN, signingSecret: BENCH_SLACK_SIGNING_SECRET, apiUrl: slackApi.apiUrl },
        broadcasts: { token, ratePerSecond: o.rates, minIntervalPerUserMs: o.minIntervalPerUserMs },
      },
    });
    client = new HttpClient(child.url, ctx.options.sockets);
    const wires: Record<Surface, UserWire> = { teams: teamsWire(connector.url), slack: slackWire() };

    // What the fakes receive: greetings while users are made, then broadcast cards (by marker).
    const greetings: Record<Surface, number> = { teams: 0, slack: 0 };
    const received: { surface: Surface; conv: string; b: number; at: number }[] = [];
    const MARKER = /bench-broadcast-(\d+)/;
    const listen = (surface: Surface) => (a: ConnectorActivity) => {
      if (a.method !== 'POST') return;
      const m = MARKER.exec(JSON.stringify(a.body));
      if (m) received.push({ surface, conv: a.conversationId, b: Number(m[1]), at: a.at });
      else greetings[surface] += 1;
    };
    connector.onActivity = listen('teams');
    slackApi.onActivity = listen('slack');

    // Users, through the real paths.
    const users: { surface: Surface; user: BenchUser }[] = [];
    for (const surface of ['teams', 'slack'] as const) {
      for (let i = 0; i < o.users[surface]; i++) users.push({ surface, user: wires[surface].newUser(i) });
    }
    ctx.log(`broadcast (${o.label}): making ${o.users.teams} Teams and ${o.users.slack} Slack users over the wire`);
    const t0 = performance.now();
    await pool(users, ctx.options.setupConcurrency, async ({ surface, user }) => {
      const req = wires[surface].message(user, 'hi');
      const res = await client!.request('POST', req.path, req.body, req.headers);
      if (res.status !== 200) throw new Error(`${surface} "hi": HTTP ${res.status} ${res.body.slice(0, 200)}`);
    });
    await waitFor(() => greetings.teams >= o.users.teams && greetings.slack >= o.users.slack, 60_000, 'greetings for every user');
    const setupSeconds = (performance.now() - t0) / 1000;
    const recipients = users.length;

    // The broadcasts, all at once, to everyone the bot knows.
    const auth = { authorization: `Bearer ${token}` };
    const started = performance.now();
    const ids: string[] = [];
    for (let b = 1; b <= o.broadcasts; b++) {
      const body = {
        recipients: 'all',
        message: {
          title: `Planned maintenance tonight (bench-broadcast-${b})`,
          text: 'The VPN will be down from 22:00 to 23:00 UTC.',
          actions: [{ title: 'Got it', data: { ack: true } }],
        },
      };
      const res = await client.request('POST', '/api/broadcasts', JSON.stringify(body), auth);
      if (res.status !== 202) throw new Error(`POST /api/broadcasts: HTTP ${res.status} ${res.body.slice(0, 200)}`);
      const created = JSON.parse(res.body) as { id: string; recipients: number };
      if (created.recipients !== recipients)
        problems.push(`broadcast ${b} went to ${created.recipients} recipients, expected ${recipients}`);
      ids.push(created.id);
    }
    const expected = recipients * o.broadcasts;
    ctx.log(`broadcast (${o.label}): ${o.broadcasts} x ${recipients} recipients at teams ${o.rates.teams}/s, slack ${o.rates.slack}/s`);
    await waitFor(
      () => received.length >= expected,
      ctx.options.idleMs,
      'broadcast deliveries',
      () => received.length,
    );
    const last = received.reduce((m, r) => Math.max(m, r.at), 0);
    const handOffSeconds = (last - started) / 1000;

    // The API's own report, once each broadcast says it is done.
    const reported = { delivered: 0, failed: 0, pending: 0, unknown: 0 };
    for (const id of ids) {
      let status: { status: string; counts: Record<string, number> } | undefined;
      const until = performance.now() + 30_000;
      do {
        const res = await client.request('GET', `/api/broadcasts/${id}`, undefined, auth);
        status = JSON.parse(res.body);
        if (status?.status === 'done') break;
        await sleep(250);
      } while (performance.now() < until);
      if (status?.status !== 'done') problems.push(`broadcast ${id} not done after its sends arrived`);
      const c = status?.counts ?? {};
      reported.delivered += (c.delivered ?? 0) + (c.delivered_buttons_disabled ?? 0);
      reported.failed += c.failed ?? 0;
      reported.pending += c.pending ?? 0;
      reported.unknown += c.unknown_user ?? 0;
    }
    // Let late duplicates show up before counting.
    await sleep(500);

    // Exactly once per broadcast and recipient.
    const seen = new Map<string, number>();
    for (const r of received) seen.set(`${r.b}|${r.surface}|${r.conv}`, (seen.get(`${r.b}|${r.surface}|${r.conv}`) ?? 0) + 1);
    let duplicates = 0;
    for (const n of seen.values()) if (n > 1) duplicates += n - 1;
    let missing = 0;
    for (let b = 1; b <= o.broadcasts; b++) {
      for (const { surface, user } of users) if (!seen.has(`${b}|${surface}|${user.conversationId}`)) missing += 1;
    }

    const perSurface = (['teams', 'slack'] as const).map((surface) => {
      const times = received
        .filter((r) => r.surface === surface)
        .map((r) => r.at)
        .sort((a, b) => a - b);
      const seconds = times.length > 1 ? (times[times.length - 1] - times[0]) / 1000 : 0;
      return {
        surface,
        sends: times.length,
        configuredRate: o.rates[surface],
        maxInAnySecond: maxInWindow(times, 1000),
        averageRate: round(seconds > 0 ? (times.length - 1) / seconds : 0, 1),
        seconds: round(seconds, 2),
      };
    });

    let minUserGapMs: number | undefined;
    if (o.broadcasts > 1) {
      const byUser = new Map<string, number[]>();
      for (const r of received) {
        const k = `${r.surface}|${r.conv}`;
        const list = byUser.get(k) ?? [];
        list.push(r.at);
        byUser.set(k, list);
      }
      minUserGapMs = Infinity;
      for (const list of byUser.values()) {
        list.sort((a, b) => a - b);
        for (let i = 1; i < list.length; i++) minUserGapMs = Math.min(minUserGapMs, list[i] - list[i - 1]);
      }
      minUserGapMs = round(minUserGapMs, 1);
    }

    for (const p of perSurface) {
      if (p.maxInAnySecond > p.configuredRate)
        problems.push(`${p.surface}: ${p.maxInAnySecond} sends in one second, over the configured ${p.configuredRate}/s`);
    }
    if (duplicates > 0) problems.push(`${duplicates} duplicate sends`);
    if (missing > 0) problems.push(`${missing} recipients never got their broadcast`);
    if (reported.delivered !== expected) problems.push(`the broadcast report says ${reported.delivered} delivered of ${expected}`);
    if (minUserGapMs !== undefined && minUserGapMs < o.minIntervalPerUserMs) {
      problems.push(`two messages to one user ${minUserGapMs} ms apart (minimum ${o.minIntervalPerUserMs} ms)`);
    }
    const run: BroadcastRun = {
      label: o.label,
      recipients,
      broadcasts: o.broadcasts,
      setupSeconds: round(setupSeconds, 1),
      handOffSeconds: round(handOffSeconds, 2),
      perSurface,
      delivered: seen.size,
      expected,
      duplicates,
      missing,
      reported,
      minIntervalPerUserMs: o.minIntervalPerUserMs,
      minUserGapMs,
      ok: problems.length === 0,
      problems,
    };
    ctx.log(
      `broadcast (${o.label}): ${seen.size}/${expected} handed over in ${run.handOffSeconds} s; ` +
        perSurface.map((p) => `${p.surface} max ${p.maxInAnySecond} in any second (limit ${p.configuredRate})`).join(', ') +
        (minUserGapMs !== undefined ? `; smallest gap to one user ${minUserGapMs} ms` : '') +
        (problems.length ? `; PROBLEMS: ${problems.join('; ')}` : '; all limits held'),
    );
    return run;
  } finally {
    client?.close();
    await child?.stop();
    await connector.close();
    await slackApi.close();
  }
}

/** The most timestamps (sorted, ms) in any half-open window [t, t + width). */
export function maxInWindow(sorted: number[], width: number): number {
  let best = 0;
  let i = 0;
  for (let j = 0; j < sorted.length; j++) {
    while (sorted[j] - sorted[i] >= width) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

async function waitFor(done: () => boolean, idleMs: number, what: string, progress: () => number = () => 0): Promise<void> {
  let last = progress();
  let since = performance.now();
  while (!done()) {
    await sleep(20);
    const now = progress();
    if (now !== last) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since > idleMs) {
      throw new Error(`${what}: no progress for ${idleMs} ms`);
    }
  }
}

export const broadcastScenario: Scenario = {
  name: 'broadcast',
  title: 'Broadcast fan-out',
  byDefault: true,
  async run(ctx): Promise<ScenarioResult> {
    const o = ctx.options;
    const split = (n: number) => ({ teams: n - Math.floor(n / 5), slack: Math.floor(n / 5) });
    const runs: BroadcastRun[] = [];
    let failure: string | undefined;
    try {
      runs.push(
        await broadcastRun(ctx, {
          label: 'configured rates',
          users: split(o.broadcastRecipients),
          rates: o.broadcastRates,
          broadcasts: 1,
          minIntervalPerUserMs: DEFAULT_MIN_INTERVAL_MS,
        }),
      );
      if (o.broadcastDefaultCheck > 0) {
        runs.push(
          await broadcastRun(ctx, {
            label: 'shipped defaults',
            users: split(o.broadcastDefaultCheck),
            rates: DEFAULT_RATES,
            broadcasts: 2,
            minIntervalPerUserMs: DEFAULT_MIN_INTERVAL_MS,
          }),
        );
      }
    } catch (e) {
      failure = (e as Error).message;
    }
    const main = runs[0];
    const ok = !failure && runs.every((r) => r.ok);
    const targets: Target[] = [
      {
        name: `Broadcast: ${main?.recipients.toLocaleString('en-US') ?? o.broadcastRecipients} recipients handed to the platforms`,
        goal: 'all, once each',
        value: main ? `${main.delivered.toLocaleString('en-US')} in ${main.handOffSeconds} s` : 'n/a',
        met: main ? main.delivered === main.expected && main.duplicates === 0 && main.missing === 0 : null,
      },
      {
        name: 'Broadcast pacing (max sends in any second, per surface)',
        goal: '<= configured rate',
        value: runs.flatMap((r) => r.perSurface.map((p) => `${p.surface} ${p.maxInAnySecond}/${p.configuredRate}`)).join(', ') || 'n/a',
        met: runs.length ? runs.every((r) => r.perSurface.every((p) => p.maxInAnySecond <= p.configuredRate)) : null,
      },
    ];
    const spaced = runs.find((r) => r.minUserGapMs !== undefined);
    if (spaced) {
      targets.push({
        name: 'Broadcast per-user spacing (smallest gap between two messages to one user)',
        goal: `>= ${spaced.minIntervalPerUserMs} ms`,
        value: `${spaced.minUserGapMs} ms`,
        met: (spaced.minUserGapMs ?? 0) >= spaced.minIntervalPerUserMs,
      });
    }
    const lines = [
      '| run | recipients | broadcasts | configured rate (teams / slack) | handed over in | per surface: sends, max in any 1 s, average/s | smallest gap to one user | delivered once / expected | duplicates | API report: delivered, failed, pending |',
      '| --- | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | --- |',
      ...runs.map(
        (r) =>
          `| ${r.label} | ${r.recipients.toLocaleString('en-US')} | ${r.broadcasts} | ${r.perSurface.map((p) => `${p.configuredRate}/s`).join(' / ')} | ${r.handOffSeconds} s | ${r.perSurface
            .map((p) => `${p.surface} ${p.sends}, ${p.maxInAnySecond}, ${p.averageRate}`)
            .join(
              '; ',
            )} | ${r.minUserGapMs !== undefined ? `${r.minUserGapMs} ms (min ${r.minIntervalPerUserMs})` : 'n/a (one each)'} | ${r.delivered} / ${r.expected} | ${r.duplicates} | ${r.reported.delivered}, ${r.reported.failed}, ${r.reported.pending} |`,
      ),
      '',
      `Users were made over the real paths (each says "hi" on Teams or Slack and is greeted; ${runs.map((r) => `${r.setupSeconds} s for ${r.recipients}`).join(', ')}), then one \`POST /api/broadcasts\` per broadcast with \`recipients: "all"\`. ` +
        'Times are the fakes\' receive times; "max in any 1 s" slides a half-open one-second window over every send.',
    ];
    for (const r of runs) if (r.problems.length) lines.push('', `**${r.label}: ${r.problems.join('; ')}**`);
    if (failure) lines.push('', `**FAILED:** ${failure}`);
    return {
      name: 'broadcast',
      title: this.title,
      status: ok ? 'ok' : 'failed',
      reason: failure ?? (runs.flatMap((r) => r.problems).join('; ') || undefined),
      targets,
      accounting: [],
      data: { runs },
      markdown: lines.join('\n'),
    };
  },
};
