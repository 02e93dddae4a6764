/**
 * Amazon Connect relay (issue 13): N live chats with Connect as the desk, one WebSocket each, over
 * the Amazon Connect simulator (in the generator process). Users POST Teams activities; the bridge
 * opens each chat through StartChatContact + CreateParticipantConnection and its socket; the
 * simulator's scripted agent joins and answers every user message as it arrives. Measured: closed
 * exchange bursts (exchanges/s, as a share of the console relay's in the same invocation or run
 * here), an open loop at `--rate` msg/s (latency seen by the generator, which holds both ends), and
 * the bridge child's heap per live chat after full GCs.
 */
import { startChild } from '../lib/child';
import { startFakeConnector, tagOf } from '../lib/fake-connector';
import { HttpClient } from '../lib/http';
import { pool, round, sleep, summarize, type Summary } from '../lib/stats';
import { teamsWire, type WireRequest } from '../lib/wire';
import { AmazonConnectSimulator, SIM_DEFAULTS } from '../../test/simulators/amazon-connect/simulator';
import { runRelays, type RelayRun } from './relay-run';
import type { Scenario, ScenarioResult, Target } from './types';

const CHAT_OF = /bench u(\d+):/;

export const amazonConnect: Scenario = {
  name: 'amazon-connect',
  title: 'Amazon Connect relay (simulator, one WebSocket per chat)',
  byDefault: false,
  async run(ctx) {
    const o = ctx.options;
    const sim = await AmazonConnectSimulator.start();
    const fake = await startFakeConnector();
    const env = sim.env();
    sim.setAgents({ available: 50, online: 50 });
    const child = await startChild('server-bridge.ts', {
      env,
      config: {
        namespace: `bench-connect-${process.pid}`,
        agents: [],
        queueTimeoutSeconds: 3600,
        desk: {
          system: 'amazon-connect',
          settings: {
            instanceId: env.AMAZON_CONNECT_INSTANCE_ID,
            contactFlowId: env.AMAZON_CONNECT_CONTACT_FLOW_ID,
            region: env.AWS_REGION,
            endpoint: env.AMAZON_CONNECT_ENDPOINT,
            participantEndpoint: env.AMAZON_CONNECT_PARTICIPANT_ENDPOINT,
            availability: { queueId: SIM_DEFAULTS.queueId, cacheSeconds: 30 },
          },
        },
      },
    });
    const wire = teamsWire(fake.url);
    let client = new HttpClient(child.url, o.sockets);
    const users = Array.from({ length: o.chats }, (_, i) => wire.newUser(i));
    const byConv = new Map(users.map((u, i) => [u.conversationId, i]));
    const contactOf: string[] = [];
    const waiters = new Map<string, (a: { text?: string; body: Record<string, unknown> }) => boolean>();
    // Tag -> when it left; resolved at its far end.
    const sentAt = new Map<string, number>();
    const onDelivered = new Map<string, () => void>();
    const latencies: { toAgent: number[]; toUser: number[] } = { toAgent: [], toUser: [] };
    let duplicates = 0;
    let resets = 0;
    const deliver = (tag: string, at: number, dir: 'toAgent' | 'toUser') => {
      const t0 = sentAt.get(tag);
      if (t0 === undefined) {
        duplicates += 1;
        return;
      }
      sentAt.delete(tag);
      latencies[dir].push(at - t0);
      onDelivered.get(tag)?.();
      onDelivered.delete(tag);
    };
    fake.onActivity = (a) => {
      if (a.tag) deliver(a.tag, a.at, 'toUser');
      const i = byConv.get(a.conversationId);
      const key = `${i}`;
      const w = waiters.get(key);
      if (w?.(a)) waiters.delete(key);
    };
    sim.on('contact', (contact) => {
      const m = CHAT_OF.exec(JSON.stringify([contact.initialMessage, contact.attributes]));
      if (m) contactOf[Number(m[1])] = contact.initialContactId;
    });
    // The agent answers each user message on arrival, with the tag of the reply.
    sim.on('item', (contact, item) => {
      if (item.Type !== 'MESSAGE' || item.ParticipantRole !== 'CUSTOMER') return;
      const tag = tagOf(item.Content);
      if (!tag?.startsWith('u')) return;
      deliver(tag, performance.now(), 'toAgent');
      const reply = `a${tag.slice(1)}`;
      sentAt.set(reply, performance.now());
      sim.agent.say(contact.initialContactId, `bench[${reply}] ok`);
    });
    const send = async (req: WireRequest) => {
      let res: Awaited<ReturnType<HttpClient['request']>> | undefined;
      for (let attempt = 0; !res; attempt++) {
        // A keep-alive socket the server closed as it was reused (the generator's loop, which also
        // runs the simulator, can be late closing idle sockets first): sent again with the same
        // activity id, which the bridge de-duplicates; a double would show as a duplicate below.
        res = await client.request('POST', req.path, req.body, req.headers).catch((e: Error) => {
          if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET' || attempt >= 2)
            throw new Error(`POST ${req.path} to the bridge: ${e.message}`);
          resets += 1;
          return undefined;
        });
      }
      if (res.status !== 200) throw new Error(`POST ${req.path}: HTTP ${res.status} ${res.body}`);
    };
    const waitFor = (i: number, test: (a: { text?: string; body: Record<string, unknown> }) => boolean) =>
      new Promise<{ text?: string; body: Record<string, unknown> }>((resolve) =>
        waiters.set(`${i}`, (a) => {
          if (!test(a)) return false;
          resolve(a);
          return true;
        }),
      );
    const seq = users.map(() => 0);
    const exchange = (i: number) =>
      new Promise<void>((resolve, reject) => {
        const n = seq[i]++;
        const tag = `u${i}.${n}`;
        const reply = `a${i}.${n}`;
        const timer = setTimeout(() => reject(new Error(`exchange ${tag} not answered in ${o.idleMs} ms`)), o.idleMs);
        onDelivered.set(reply, () => {
          clearTimeout(timer);
          resolve();
        });
        sentAt.set(tag, performance.now());
        send(wire.message(users[i], `bench[${tag}] hello`)).catch(reject);
      });

    try {
      // The heap is read after the first tenth of the chats, so one-time costs (the SDK's modules
      // and clients, caches) do not count against the per-chat slope over the rest.
      const first = Math.max(1, Math.floor(o.chats / 10));
      let base = { heapUsed: 0 };
      const setupStart = performance.now();
      const openChat = async (i: number) => {
        const offer = waitFor(i, (a) => wire.startClick(users[i], a as never) !== undefined);
        await send(wire.message(users[i], `bench u${i}: my laptop will not boot`));
        const card = await offer;
        const waiting = waitFor(i, (a) => wire.isWaiting(a as never));
        await send(wire.startClick(users[i], card as never)!);
        await waiting;
        // The chat's socket is open and subscribed before the agent joins.
        for (let k = 0; !(contactOf[i] && sim.hub.open(contactOf[i]).some((s) => s.subscribed)); k++) {
          if (k > 3000) throw new Error(`chat ${i}: no subscribed socket at the simulator`);
          await sleep(10);
        }
        const joined = waitFor(i, (a) => /joined the chat/.test(a.text ?? ''));
        sim.agent.join(contactOf[i], `Agent ${(i % o.agents) + 1}`);
        await joined;
      };
      const indexes = users.map((_, i) => i);
      await pool(indexes.slice(0, first), o.setupConcurrency, openChat);
      base = await child.call<{ heapUsed: number }>('memory');
      await pool(indexes.slice(first), o.setupConcurrency, openChat);
      const setupSeconds = (performance.now() - setupStart) / 1000;
      const live = await child.call<{ heapUsed: number }>('memory');
      const heapPerChat = o.chats > first ? (live.heapUsed - base.heapUsed) / (o.chats - first) : NaN;
      // The full GCs block the child for long enough that its keep-alive timer can close a socket
      // the generator is about to reuse (ECONNRESET at 1,000 chats): start the bursts on fresh ones.
      client.close();
      client = new HttpClient(child.url, o.sockets);
      const sockets = users.filter((_, i) => sim.hub.open(contactOf[i]).length > 0).length;

      // Warm-up, then measured closed-loop rounds: every chat does `messages` exchanges in a row.
      const burst = async () => {
        const t0 = performance.now();
        await Promise.all(
          users.map(async (_, i) => {
            for (let k = 0; k < o.messages; k++) await exchange(i);
          }),
        );
        return (o.chats * o.messages) / ((performance.now() - t0) / 1000);
      };
      await burst();
      const rounds: number[] = [];
      for (let r = 0; r < o.rounds; r++) rounds.push(await burst());
      const exchangesPerSecond = [...rounds].sort((a, b) => a - b)[Math.floor(rounds.length / 2)];

      // Open loop: user messages at rate/2 per second, each answered on arrival.
      latencies.toAgent = [];
      latencies.toUser = [];
      const total = Math.round((o.rate / 2) * o.latencySeconds);
      const gapMs = 2000 / o.rate;
      const start = performance.now();
      const pending: Promise<void>[] = [];
      for (let k = 0; k < total; k++) {
        const wait = start + k * gapMs - performance.now();
        if (wait > 1) await sleep(wait);
        pending.push(exchange(k % o.chats));
      }
      await Promise.all(pending);
      const open = { toAgent: summarize(latencies.toAgent), toUser: summarize(latencies.toUser) };

      let consoleRun = ctx.shared.get('bridge-memory') as RelayRun | undefined;
      if (!consoleRun) [consoleRun] = await runRelays(ctx, [{ server: 'bridge', store: 'memory' }]);
      const consoleEx = consoleRun?.phases.find((p) => p.phase === 'exchange')?.exchangesPerSecond;
      const ratio = consoleEx ? exchangesPerSecond / consoleEx : NaN;
      const p99 = Math.max(open.toAgent.p99, open.toUser.p99);
      const ok = duplicates === 0 && sentAt.size === 0 && sockets === o.chats;
      const targets: Target[] = [
        {
          name: 'Connect relay throughput vs console relay',
          goal: '>= 70%',
          value: pct(ratio),
          met: Number.isFinite(ratio) ? ratio >= 0.7 : null,
        },
        {
          name: `Connect p99 latency at ${o.rate} msg/s (generator-seen)`,
          goal: '< 10 ms',
          value: Number.isFinite(p99) ? `${round(p99)} ms` : 'n/a',
          met: Number.isFinite(p99) ? p99 < 10 : null,
        },
        {
          name: 'Heap per live Connect chat with its socket',
          goal: '< 20 KB',
          value: `${round(heapPerChat / 1024, 1)} KB`,
          met: heapPerChat < 20 * 1024,
        },
      ];
      return {
        name: 'amazon-connect',
        title: amazonConnect.title,
        status: ok ? 'ok' : 'failed',
        reason: ok ? undefined : `duplicates ${duplicates}, undelivered ${sentAt.size}, sockets ${sockets}/${o.chats}`,
        targets,
        accounting: [],
        data: {
          chats: o.chats,
          setupSeconds,
          rounds,
          exchangesPerSecond,
          consoleExchangesPerSecond: consoleEx,
          ratio,
          open,
          heapPerChat,
          sockets,
        },
        markdown: `${markdown(o.chats, setupSeconds, rounds, exchangesPerSecond, consoleEx, ratio, o.rate, open, heapPerChat)}\n\nRequests sent again after a reset keep-alive socket (the bridge de-duplicates them by activity id): ${resets}.`,
      } satisfies ScenarioResult;
    } finally {
      await child.stop();
      client.close();
      await fake.close();
      await sim.close();
    }
  },
};

const pct = (x: number) => (Number.isFinite(x) ? `${round(x * 100, 1)}%` : 'n/a');

function markdown(
  chats: number,
  setupSeconds: number,
  rounds: number[],
  ex: number,
  consoleEx: number | undefined,
  ratio: number,
  rate: number,
  open: { toAgent: Summary; toUser: Summary },
  heapPerChat: number,
): string {
  return [
    `${chats} live Connect chats (one WebSocket each), opened in ${setupSeconds.toFixed(1)} s.`,
    `Exchanges/s (median of ${rounds.map((r) => round(r, 0)).join(', ')}): **${round(ex, 0)}**; console relay ${consoleEx ?? 'n/a'}: **${pct(ratio)}** (not interleaved).`,
    `Open loop at ${rate} msg/s, latency seen by the generator (it holds both the Teams side and the simulator): to agent p50 ${round(open.toAgent.p50)} / p99 ${round(open.toAgent.p99)} ms, to user p50 ${round(open.toUser.p50)} / p99 ${round(open.toUser.p99)} ms.`,
    `Heap per live chat with its socket (after full GCs in the bridge child; slope over all but the first tenth of the chats): **${round(heapPerChat / 1024, 1)} KB**.`,
  ].join('\n\n');
}
