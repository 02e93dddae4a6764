/**
 * Drives one server under test (the bridge, or an echo bot) the way users and agents would:
 * users POST what their platform sends (`wire.ts`: Teams activities to `/api/messages`, signed
 * Slack events to `/slack/events`); console agents read the event stream and POST replies to the
 * console API; the fake platform (connector or Slack Web API) receives what the server sends to
 * users. Every benchmark message carries a tag (`bench[u17.3]`: direction, chat,
 * sequence) that the ledgers count at both ends.
 */
import { performance } from 'node:perf_hooks';
import type { ChildHandle } from './child';
import type { ConnectorActivity, FakeConnector } from './fake-connector';
import { tagOf } from './fake-connector';
import { HttpClient } from './http';
import { Ledger, type LedgerSummary } from './ledger';
import { openSse, type SseStream } from './sse';
import { pool, round, sleep, summarize, type Summary } from './stats';
import type { BenchUser } from './teams';
import type { ProbeSample } from './probe';
import { teamsWire, type UserWire, type WireRequest } from './wire';

export interface Agent {
  name: string;
  token: string;
}

export interface CpuSample {
  userMs: number;
  systemMs: number;
  wallMs: number;
  eventLoopUtilization: number;
}

export interface PhaseResult {
  phase: string;
  /** Messages delivered per second, per direction (`toAgent`, `toUser`). */
  rates: Record<string, number>;
  /** Completed exchanges (user message relayed + reply delivered) per second, where meaningful. */
  exchangesPerSecond?: number;
  seconds: number;
  /** Generator-observed delivery time per direction (send start to arrival at the far end), ms. */
  endToEnd: Record<string, Summary>;
  /** Bridge-added latency per direction, from the in-process probe (open-loop phases only), ms. */
  added?: Record<string, Summary>;
  /** CPU of the server child (all of them, summed) during the phase: % of one core, and event-loop utilization. */
  serverCpuPercent: number;
  /** CPU time of the server process(es), user + system, during the phase, ms. */
  serverCpuMs: number;
  /** Redis's own CPU time during the phase (INFO cpu deltas), ms; Redis runs only. */
  redisCpuMs?: number;
  /** (server + Redis) CPU ms per completed exchange, where exchanges are counted. */
  cpuMsPerExchange?: number;
  /** (server + Redis) CPU ms per brokered message (each delivered message, either way). */
  cpuMsPerMessage: number;
  serverEventLoopUtilization: number;
  /** CPU of this process (load generator + fake connector) during the phase, % of one core. */
  generatorCpuPercent: number;
  ledgers: LedgerSummary[];
}

interface Sent {
  /** Resolves when the far end got the message. */
  delivered: Promise<void>;
}

const USER_TEXT = 'my laptop screen flickers every time I dock it, since the update';
const AGENT_TEXT = 'Thanks, please try the new dock firmware from the portal and tell me if it helps.';

export interface DriverOptions {
  maxSockets?: number;
  wire?: UserWire;
  /** More processes of the same bridge (one store): measured phases spread requests over all, round robin. */
  more?: ChildHandle[];
  /** Redis's cumulative CPU ms (INFO cpu), read before and after each phase. */
  redisCpuMs?: () => Promise<number>;
}

export class Driver {
  readonly users: BenchUser[] = [];
  readonly chatIds: string[] = [];
  /** Setup goes through the first server; measured phases through all of them, round robin. */
  private readonly client: HttpClient;
  private readonly clients: HttpClient[];
  private turn = 0;
  readonly servers: ChildHandle[];
  private readonly streams: SseStream[] = [];
  /** With several processes, each console stream may carry one event: count a message once. */
  private readonly seenMessageIds = new Set<string>();
  private toAgent?: Ledger;
  private toUser?: Ledger;
  private readonly seq = { u: [] as number[], a: [] as number[] };
  private readonly convWaiters = new Map<string, { test: (a: ConnectorActivity) => boolean; resolve: (a: ConnectorActivity) => void }[]>();
  private readonly chatWaiters = new Map<number, (chatId: string) => void>();
  private readonly convIndex = new Map<string, number>();
  /** Open-loop mode: the agent answers each user message as it arrives. */
  private autoReply = false;
  private readonly agentChains = new Map<number, Promise<void>>();
  private readonly pendingSends = new Set<Promise<unknown>>();
  poisoned?: string;
  readonly wire: UserWire;

  constructor(
    readonly kind: 'bridge' | 'echo',
    readonly server: ChildHandle,
    readonly connector: Pick<FakeConnector, 'url' | 'onActivity'>,
    readonly agents: Agent[],
    private readonly options: DriverOptions = {},
  ) {
    this.servers = [server, ...(options.more ?? [])];
    this.clients = this.servers.map((s) => new HttpClient(s.url, options.maxSockets ?? 256));
    this.client = this.clients[0];
    this.wire = options.wire ?? teamsWire(connector.url);
    connector.onActivity = (a) => this.onConnector(a);
  }

  /** The next process's client, round robin (a load balancer without sticky sessions). */
  private next(): HttpClient {
    if (this.clients.length === 1) return this.client;
    this.turn = (this.turn + 1) % this.clients.length;
    return this.clients[this.turn];
  }

  async close(): Promise<void> {
    for (const s of this.streams) s.close();
    await Promise.allSettled([...this.pendingSends]);
    for (const c of this.clients) c.close();
    this.connector.onActivity = undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Setup
  // -------------------------------------------------------------------------------------------

  /** Create `count` users; for the bridge, bring each to a live chat with an agent (real paths). */
  async setup(
    count: number,
    concurrency: number,
    options: { live?: (i: number) => boolean } = {},
  ): Promise<{ seconds: number; perSecond: number }> {
    const first = this.users.length;
    for (let i = first; i < first + count; i++) {
      const u = this.wire.newUser(i);
      this.users.push(u);
      this.convIndex.set(u.conversationId, i);
      this.seq.u.push(0);
      this.seq.a.push(0);
    }
    if (this.kind === 'echo') return { seconds: 0, perSecond: 0 };
    if (this.streams.length === 0) {
      // One stream per process: whether a process's stream carries what another process
      // handled is the bridge's business; each message is counted once (by its id) either way.
      for (const s of this.servers) {
        this.streams.push(
          await openSse(`${s.url}/console/api/events`, this.agents[0].token, (event, data) => this.onConsoleEvent(event, data)),
        );
      }
    }
    const started = performance.now();
    const indexes = Array.from({ length: count }, (_, k) => first + k);
    await pool(indexes, concurrency, async (i) => {
      await this.openChat(i, options.live ? options.live(i) : true);
    });
    const seconds = (performance.now() - started) / 1000;
    return { seconds, perSecond: count / seconds };
  }

  private async openChat(i: number, live: boolean): Promise<void> {
    const user = this.users[i];
    // Something the bot cannot help with: it becomes the chat's title, and the offer comes.
    const offer = this.waitConnector(user.conversationId, (a) => this.wire.startClick(user, a) !== undefined);
    await this.mustSend(this.wire.message(user, `bench u${i}: ${USER_TEXT}`));
    const card = await offer;
    const created = new Promise<string>((resolve) => this.chatWaiters.set(i, resolve));
    const waiting = this.waitConnector(user.conversationId, (a) => this.wire.isWaiting(a));
    await this.mustSend(this.wire.startClick(user, card)!);
    this.chatIds[i] = await withTimeout(created, 30_000, `chat ${i} never reached the console`);
    await waiting;
    if (!live) return;
    const joined = this.waitConnector(user.conversationId, (a) => /joined the chat/.test(a.text ?? ''));
    const agent = this.agentFor(i);
    const res = await this.client.post(`/console/api/chats/${this.chatIds[i]}/accept`, undefined, {
      authorization: `Bearer ${agent.token}`,
    });
    if (res.status !== 200) throw new Error(`accept chat ${i}: HTTP ${res.status} ${res.body}`);
    await joined;
  }

  private agentFor(i: number): Agent {
    return this.agents[i % this.agents.length];
  }

  private async mustSend(req: WireRequest): Promise<void> {
    const res = await this.client.request('POST', req.path, req.body, req.headers);
    if (res.status !== 200) throw new Error(`POST ${req.path}: HTTP ${res.status} ${res.body}`);
  }

  /** One plain message from user `i` (not counted by any ledger); resolves when it was answered. */
  async say(i: number, text: string): Promise<void> {
    await this.mustSend(this.wire.message(this.users[i], text));
  }

  private waitConnector(conversationId: string, test: (a: ConnectorActivity) => boolean, ms = 30_000): Promise<ConnectorActivity> {
    return withTimeout(
      new Promise<ConnectorActivity>((resolve) => {
        const list = this.convWaiters.get(conversationId) ?? [];
        list.push({ test, resolve });
        this.convWaiters.set(conversationId, list);
      }),
      ms,
      `no matching activity for ${conversationId} within ${ms} ms`,
    );
  }

  // -------------------------------------------------------------------------------------------
  // What arrives at either end
  // -------------------------------------------------------------------------------------------

  private onConnector(a: ConnectorActivity): void {
    if (a.tag) {
      // Echo answers with the user's own (u-tagged) text; the bridge delivers a-tagged agent text.
      if (a.method === 'POST') {
        const ledger = this.kind === 'echo' ? this.toUser : a.tag.startsWith('a') ? this.toUser : undefined;
        if (ledger) ledger.receive(a.tag, a.at);
        else this.strays += 1;
      }
      return;
    }
    const list = this.convWaiters.get(a.conversationId);
    if (!list) return;
    const k = list.findIndex((w) => w.test(a));
    if (k < 0) return;
    const [w] = list.splice(k, 1);
    if (list.length === 0) this.convWaiters.delete(a.conversationId);
    w.resolve(a);
  }

  /** Tagged arrivals with no phase running (should stay 0). */
  strays = 0;

  private onConsoleEvent(event: string, data: any): void {
    if (event === 'message.created' && data?.message?.from === 'user') {
      const tag = tagOf(data.message.text);
      if (!tag) return;
      if (this.streams.length > 1 && typeof data.message.id === 'string') {
        if (this.seenMessageIds.has(data.message.id)) return;
        this.seenMessageIds.add(data.message.id);
      }
      if (!this.toAgent) {
        this.strays += 1;
        return;
      }
      const fresh = this.toAgent.receive(tag);
      if (fresh && this.autoReply) {
        const chat = Number(tag.slice(1, tag.indexOf('.')));
        this.replyInOrder(chat);
      }
    } else if (event === 'chat.created') {
      const m = /^bench u(\d+):/.exec(data?.chat?.title ?? '');
      if (!m) return;
      const i = Number(m[1]);
      this.chatWaiters.get(i)?.(data.chat.id);
      this.chatWaiters.delete(i);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Sending
  // -------------------------------------------------------------------------------------------

  private nextTag(dir: 'u' | 'a', chat: number): string {
    this.seq[dir][chat] += 1;
    return `${dir}${chat}.${this.seq[dir][chat]}`;
  }

  /** One user message; resolves when the server answered the POST, with the delivery to come. */
  private async userSends(chat: number, ledger: Ledger): Promise<Sent> {
    const tag = this.nextTag('u', chat);
    const delivered = ledger.expect(tag);
    const req = this.wire.message(this.users[chat], `bench[${tag}] ${USER_TEXT}`);
    try {
      const res = await this.next().request('POST', req.path, req.body, { ...req.headers, 'x-bench-tag': tag });
      if (res.status !== 200) ledger.sendFailed(tag, `HTTP ${res.status} ${res.body.slice(0, 200)}`);
    } catch (e) {
      ledger.sendFailed(tag, (e as Error).message);
    }
    return { delivered };
  }

  /** One agent message through the console API; the API answers once the user was reached. */
  private async agentSends(chat: number, ledger: Ledger): Promise<Sent> {
    const tag = this.nextTag('a', chat);
    const delivered = ledger.expect(tag);
    try {
      const res = await this.next().post(
        `/console/api/chats/${this.chatIds[chat]}/messages`,
        { text: `bench[${tag}] ${AGENT_TEXT}` },
        { authorization: `Bearer ${this.agentFor(chat).token}`, 'x-bench-tag': tag },
      );
      if (res.status !== 201) ledger.sendFailed(tag, `HTTP ${res.status} ${res.body.slice(0, 200)}`);
    } catch (e) {
      ledger.sendFailed(tag, (e as Error).message);
    }
    return { delivered };
  }

  private replyInOrder(chat: number): void {
    const ledger = this.toUser!;
    const previous = this.agentChains.get(chat) ?? Promise.resolve();
    const next = previous.then(async () => {
      await this.agentSends(chat, ledger);
    });
    this.agentChains.set(chat, next);
    this.track(next);
  }

  private track(p: Promise<unknown>): void {
    this.pendingSends.add(p);
    void p.finally(() => this.pendingSends.delete(p));
  }

  // -------------------------------------------------------------------------------------------
  // Phases
  // -------------------------------------------------------------------------------------------

  /**
   * Closed-loop bursts. `user`: every user sends `messages` messages back to back (each after the
   * previous POST was answered). `agent`: every agent does the same through the console.
   * `exchange`: per chat, user message -> agent sees it -> agent replies -> user gets the reply,
   * `messages` times; for the echo bot the reply is the echo.
   */
  async burst(phase: 'user' | 'agent' | 'exchange', messages: number, idleMs: number): Promise<PhaseResult> {
    if (this.kind === 'echo' && phase === 'agent') throw new Error('the echo bot has no agent side');
    const toAgent = new Ledger(`${phase}: user -> agent`);
    const toUser = new Ledger(`${phase}: ${this.kind === 'echo' ? 'echo -> user' : 'agent -> user'}`);
    this.toAgent = toAgent;
    this.toUser = toUser;
    const chats = this.users.map((u) => u.index);
    return this.measure(phase, [toAgent, toUser], idleMs, async () => {
      await Promise.all(
        chats.map(async (chat) => {
          for (let k = 0; k < messages; k++) {
            if (this.poisoned) return;
            if (this.kind === 'echo') {
              // The echo bot answers inside the turn; wait for the echo like an exchange does.
              await (await this.userSends(chat, toUser)).delivered;
              continue;
            }
            if (phase === 'user' || phase === 'exchange') {
              const sent = await this.userSends(chat, toAgent);
              if (phase === 'exchange') await sent.delivered;
            }
            if (phase === 'agent' || phase === 'exchange') {
              const sent = await this.agentSends(chat, toUser);
              if (phase === 'exchange') await sent.delivered;
            }
          }
        }),
      );
    });
  }

  /**
   * Open loop at a fixed rate: user messages go out evenly spaced, round robin over the chats,
   * at `rate / 2` per second; each is answered by its agent as soon as it arrives (bridge), so
   * `rate` messages per second cross the bridge in total. The echo bot gets the same user load.
   * The in-process probe records the latency the server adds.
   */
  async openLoop(rate: number, seconds: number, idleMs: number): Promise<PhaseResult> {
    const toAgent = new Ledger('open loop: user -> agent');
    const toUser = new Ledger(`open loop: ${this.kind === 'echo' ? 'echo -> user' : 'agent -> user'}`);
    this.toAgent = toAgent;
    this.toUser = toUser;
    this.autoReply = this.kind === 'bridge';
    const userRate = rate / 2;
    const chats = this.users.length;
    await this.server.call('probe-start');
    let result: PhaseResult;
    try {
      result = await this.measure('open loop', [toAgent, toUser], idleMs, async () => {
        const start = performance.now();
        let sent = 0;
        const inFlight: Promise<void>[] = [];
        while (!this.poisoned) {
          const elapsed = performance.now() - start;
          if (elapsed >= seconds * 1000) break;
          const due = Math.floor((elapsed / 1000) * userRate);
          for (; sent < due; sent++) {
            // A chat's next message leaves once the platform request before it was answered, as a
            // user's client sends: two requests of one user in flight at once may arrive in either
            // order, and the order the ledger checks is the order the bridge acknowledged.
            const chat = sent % chats;
            const ledger = this.kind === 'echo' ? toUser : toAgent;
            const p = (inFlight[chat] ?? Promise.resolve()).then(() => this.userSends(chat, ledger));
            inFlight[chat] = p.then(() => undefined);
            this.track(p);
          }
          await sleep(1);
        }
      });
    } finally {
      this.autoReply = false;
    }
    const probe = await this.server.call<{ samples: ProbeSample[]; unmatchedArrivals: number }>('probe-collect');
    const byDirection = (dir: string) => roundSummary(summarize(probe.samples.filter((s) => s.tag.startsWith(dir)).map((s) => s.ms)), 3);
    result.added = this.kind === 'echo' ? { toUser: byDirection('u') } : { toAgent: byDirection('u'), toUser: byDirection('a') };
    return result;
  }

  private async measure(phase: string, ledgers: Ledger[], idleMs: number, drive: () => Promise<void>): Promise<PhaseResult> {
    await Promise.all(this.servers.map((s) => s.call('cpu'))); // reset the children's counters
    const redis0 = await this.options.redisCpuMs?.();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const driving = drive();
    // Wait for the senders, then for every delivery; a stall ends the phase with losses on the books.
    let done = false;
    const finished = (async () => {
      await driving.catch((e) => {
        this.poisoned ??= `${phase}: ${(e as Error).message}`;
      });
      for (const l of ledgers) await l.settle(idleMs);
    })();
    await Promise.race([finished, this.stallWatch(ledgers, idleMs, () => done)]);
    done = true;
    const wall = performance.now() - t0;
    const samples = (await Promise.all(this.servers.map((s) => s.call('cpu')))) as CpuSample[];
    const redis1 = await this.options.redisCpuMs?.();
    const cpu1 = process.cpuUsage(cpu0);
    const serverCpuMs = samples.reduce((n, c) => n + c.userMs + c.systemMs, 0);
    const redisCpuMs = redis0 !== undefined && redis1 !== undefined ? redis1 - redis0 : undefined;
    const cpuMs = serverCpuMs + (redisCpuMs ?? 0);
    this.toAgent = undefined;
    this.toUser = undefined;
    const summaries = ledgers.filter((l) => l.summary().sent > 0).map((l) => l.summary());
    if (summaries.some((s) => !s.ok)) this.poisoned ??= `${phase}: messages lost, duplicated or refused`;
    const rates: Record<string, number> = {};
    const endToEnd: Record<string, Summary> = {};
    const [toAgent, toUser] = ledgers;
    if (toAgent.summary().sent > 0) {
      rates.toAgent = round(toAgent.rate(), 1);
      endToEnd.toAgent = roundSummary(summarize(toAgent.endToEnd));
    }
    if (toUser.summary().sent > 0) {
      rates.toUser = round(toUser.rate(), 1);
      endToEnd.toUser = roundSummary(summarize(toUser.endToEnd));
    }
    const end = Math.max(toAgent.lastDeliveredAt, toUser.lastDeliveredAt);
    const start = Math.min(toAgent.firstSentAt, toUser.firstSentAt);
    const exchanges = this.kind === 'echo' ? toUser.delivered : Math.min(toAgent.delivered, toUser.delivered);
    const counted = this.kind === 'echo' || phase === 'exchange';
    // The echo bot's message is its exchange (one in, one out); the bridge brokers two per exchange.
    const messages = this.kind === 'echo' ? toUser.delivered : toAgent.delivered + toUser.delivered;
    return {
      phase,
      rates,
      ...(this.kind === 'echo' || phase === 'exchange'
        ? { exchangesPerSecond: round((exchanges / Math.max(1, end - start)) * 1000, 1) }
        : {}),
      seconds: round(wall / 1000, 2),
      endToEnd,
      serverCpuPercent: round((serverCpuMs / samples[0].wallMs) * 100, 1),
      serverCpuMs: round(serverCpuMs, 0),
      ...(redisCpuMs !== undefined ? { redisCpuMs: round(redisCpuMs, 0) } : {}),
      ...(counted ? { cpuMsPerExchange: round(cpuMs / Math.max(1, exchanges), 4) } : {}),
      cpuMsPerMessage: round(cpuMs / Math.max(1, messages), 4),
      serverEventLoopUtilization: round(samples.reduce((n, c) => n + c.eventLoopUtilization, 0) / samples.length, 3),
      generatorCpuPercent: round(((cpu1.user + cpu1.system) / 1000 / wall) * 100, 1),
      ledgers: summaries,
    };
  }

  /** Resolves once no ledger made progress for `idleMs` while something is still pending. */
  private async stallWatch(ledgers: Ledger[], idleMs: number, done: () => boolean): Promise<void> {
    let last = -1;
    let since = performance.now();
    while (!done()) {
      await sleep(50);
      const delivered = ledgers.reduce((n, l) => n + l.delivered, 0);
      const pending = ledgers.reduce((n, l) => n + l.pending, 0);
      if (delivered !== last || pending === 0) {
        last = delivered;
        since = performance.now();
        continue;
      }
      if (performance.now() - since > idleMs) {
        this.poisoned ??= `stalled: ${pending} messages undelivered after ${idleMs} ms without progress`;
        return;
      }
    }
  }
}

export function roundSummary(s: Summary, digits = 2): Summary {
  return {
    count: s.count,
    min: round(s.min, digits),
    p50: round(s.p50, digits),
    p95: round(s.p95, digits),
    p99: round(s.p99, digits),
    max: round(s.max, digits),
    mean: round(s.mean, digits),
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}
