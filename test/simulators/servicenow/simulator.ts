/**
 * A local ServiceNow instance for the APIs the bridge uses: a real HTTP server that checks each
 * auth mode, answers the Virtual Agent API, then posts the documented outbound payloads to the
 * bot's webhook as an agent would; downloads user attachments from the given URL with the given
 * headers; serves the Table API (presence view, incidents), media upload and agent files.
 *
 * Scriptable from tests (`accept`, `say`, `sendFile`, `typing`, `end`, `timeout`, `failNext`,
 * `setAgentsOnline`, `post`) and runnable by hand (`npm run simulate:servicenow`, see cli.ts).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import type { SimContext, StoredFile } from './context';
import { SimAuth, type SimAuthOptions, type SimMessageAuthOptions } from './inbound-auth';
import { Outbound, type OutboundAuth, type OutboundTarget, type PostResult } from './outbound';
import * as payloads from './payloads';
import { restRoutes } from './rest-routes';
import {
  receivedTexts,
  type ScriptedFailure,
  type SimAgent,
  type SimConversation,
  type SimIncident,
  type SimMessage,
  type SimRequest,
} from './state';
import { VA_PATH, vaRoutes } from './va-routes';

export interface SimulatorOptions {
  port?: number;
  host?: string;
  /** REST credentials accepted (Table API, upload, files, and the VA API). Default: Basic admin. */
  auth?: SimAuthOptions;
  /** Message auth accepted on the VA API. */
  messageAuth?: SimMessageAuthOptions;
  /** Where (and how) to post replies: the bot's webhook. Settable later with `setOutbound`. */
  outbound?: OutboundTarget;
  agents?: { name: string; avatarUrl?: string }[];
  /** `StartSpinner.waitTime`. */
  waitTime?: string;
  /** Post the queued/spinner payload after a start (default true). */
  autoQueue?: boolean;
  log?: (line: string) => void;
}

export const DEFAULT_SIM_AUTH: SimAuthOptions = { basic: { username: 'bridge.integration', password: 'integration-password-1' } };

const DEFAULT_AGENTS = [
  { name: 'Beth Anglin', avatarUrl: 'https://instance.example/beth.iix?t=small' },
  { name: 'Carl Moss' },
  { name: 'Dana Reyes' },
];

export class ServiceNowSimulator implements SimContext {
  readonly auth: SimAuth;
  readonly outbound: Outbound;
  readonly agents: SimAgent[];
  readonly conversations = new Map<string, SimConversation>();
  readonly seenRequestIds = new Set<string>();
  readonly incidents: SimIncident[] = [];
  readonly files = new Map<string, StoredFile>();
  readonly online = new Set<number>();
  readonly requests: SimRequest[] = [];
  readonly autoQueue: boolean;
  readonly waitTime: string;
  private readonly failures: ScriptedFailure[] = [];
  private readonly downloads = new Set<Promise<void>>();
  private readonly hanging = new Set<Response>();
  private server?: Server;
  url = '';

  private constructor(private readonly options: SimulatorOptions) {
    this.auth = new SimAuth(options.auth ?? DEFAULT_SIM_AUTH, options.messageAuth ?? {});
    this.outbound = new Outbound(options.outbound);
    this.agents = (options.agents ?? DEFAULT_AGENTS).map((a) => ({
      ...a,
      id: randomBytes(16).toString('hex'),
      userSysId: randomBytes(16).toString('hex'),
    }));
    this.autoQueue = options.autoQueue ?? true;
    this.waitTime = options.waitTime ?? '13 Seconds';
  }

  static async start(options: SimulatorOptions = {}): Promise<ServiceNowSimulator> {
    const sim = new ServiceNowSimulator(options);
    const app = express();
    app.use(vaRoutes(sim));
    app.use(restRoutes(sim));
    app.use((req, res) => {
      sim.record({ method: req.method, path: req.path, auth: 'none', status: 404 });
      res.status(404).json({ status: 'failure', error: { message: `The simulator has no ${req.method} ${req.path}` } });
    });
    sim.server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
    const { port } = sim.server.address() as AddressInfo;
    sim.url = `http://${options.host ?? '127.0.0.1'}:${port}`;
    return sim;
  }

  setOutbound(url: string, auth: OutboundAuth): void {
    this.outbound.target = { url, auth };
  }

  // ---------------------------------------------------------------------------------------------
  // The agent side
  // ---------------------------------------------------------------------------------------------

  conversation(id: string): SimConversation {
    const conv = this.conversations.get(id);
    if (!conv) throw new Error(`servicenow simulator: no conversation ${id}`);
    return conv;
  }

  received(id: string): string[] {
    return receivedTexts(this.conversation(id));
  }

  /** An agent accepts the chat (or, when it is live already, joins it as a second agent). */
  async accept(id: string, agentIndex = 0): Promise<void> {
    const conv = this.open(id);
    if (conv.agents.includes(agentIndex)) return;
    const first = conv.agents.length === 0;
    conv.agents.push(agentIndex);
    conv.status = 'live';
    await this.postOk(id, payloads.accepted(conv, this.agent(agentIndex), first));
  }

  /** An agent writes; a private note (work note) stays on the instance, as in Agent Workspace. */
  async say(id: string, text: string, opts: { agentIndex?: number; private?: boolean; messageId?: string } = {}): Promise<string> {
    const agentIndex = opts.agentIndex ?? 0;
    const conv = this.joined(id, agentIndex);
    conv.messages.push({ from: opts.private ? 'note' : 'agent', text, agentIndex, at: Date.now() });
    const messageId = opts.messageId ?? randomUUID().replace(/-/g, '');
    if (!opts.private) await this.postOk(id, payloads.agentText(conv, this.agent(agentIndex), text, messageId));
    return messageId;
  }

  /** An agent attaches a file: kept at `/sys_attachment.do`, sent as an image or a link output. */
  async sendFile(id: string, file: { name: string; contentType: string; bytes: Uint8Array }, agentIndex = 0): Promise<string> {
    const conv = this.joined(id, agentIndex);
    const url = this.addFile(file);
    const agent = this.agent(agentIndex);
    conv.messages.push({ from: 'agent', text: `[file] ${file.name}`, agentIndex, at: Date.now() });
    await this.postOk(
      id,
      file.contentType.startsWith('image/')
        ? payloads.agentImage(conv, agent, url, file.name)
        : payloads.agentLink(conv, agent, url, file.name),
    );
    return url;
  }

  addFile(file: { name: string; contentType: string; bytes: Uint8Array }): string {
    const sysId = randomBytes(16).toString('hex');
    this.files.set(sysId, { name: file.name, contentType: file.contentType, bytes: Buffer.from(file.bytes) });
    return `${this.url}/sys_attachment.do?sys_id=${sysId}`;
  }

  async typing(id: string, on: boolean, agentIndex = 0): Promise<void> {
    const conv = this.joined(id, agentIndex);
    await this.postOk(id, payloads.typing(conv, on));
  }

  async leave(id: string, agentIndex: number): Promise<void> {
    const conv = this.joined(id, agentIndex);
    conv.agents = conv.agents.filter((a) => a !== agentIndex);
    await this.postOk(id, payloads.left(conv, this.agent(agentIndex)));
  }

  /** The agent closes the chat in their workspace. */
  async end(id: string, agentIndex = 0): Promise<void> {
    const conv = this.open(id);
    conv.status = 'ended';
    conv.endedBy = 'agent';
    for (const payload of payloads.closedByAgent(conv, this.agent(conv.agents[0] ?? agentIndex))) await this.postOk(id, payload);
  }

  /** AWA's queue timeout: nobody accepted. */
  async timeout(id: string): Promise<void> {
    const conv = this.open(id);
    conv.status = 'ended';
    conv.endedBy = 'timeout';
    await this.postOk(id, payloads.queueTimedOut(conv));
  }

  /** Post any payload (tests: duplicates, unknown types, wrong credentials). */
  post(id: string, payload: Record<string, unknown>, auth?: OutboundAuth): Promise<PostResult> {
    return this.outbound.post(id, payload, auth);
  }

  setAgentsOnline(n: number): void {
    if (n > this.agents.length) throw new Error(`the simulator has ${this.agents.length} agents`);
    this.online.clear();
    for (let i = 0; i < n; i++) this.online.add(i);
  }

  /** Answer the next `count` matching requests with `failure` (default path: the VA API). */
  failNext(count: number, failure: ScriptedFailure): void {
    for (let i = 0; i < count; i++) this.failures.push(failure);
  }

  /** Resolves when replies are posted and attachment downloads are done. */
  async idle(): Promise<void> {
    await this.outbound.idle();
    while (this.downloads.size > 0) await Promise.all([...this.downloads]);
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    await this.idle().catch(() => undefined);
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---------------------------------------------------------------------------------------------
  // SimContext, for the routes
  // ---------------------------------------------------------------------------------------------

  record(entry: Omit<SimRequest, 'at'>): void {
    this.requests.push({ ...entry, at: Date.now() });
  }

  log(line: string): void {
    this.options.log?.(line);
  }

  async scriptedFailure(path: string, _req: Request, res: Response, action?: string): Promise<boolean> {
    const index = this.failures.findIndex((f) => (f.path ?? VA_PATH) === path);
    if (index < 0) return false;
    const [failure] = this.failures.splice(index, 1);
    this.record({ method: _req.method, path, auth: 'scripted', action, status: failure.status });
    if (failure.delayMs) {
      this.hanging.add(res);
      await new Promise((r) => setTimeout(r, failure.delayMs));
      this.hanging.delete(res);
      if (res.destroyed) return true;
    }
    if (failure.retryAfter !== undefined) res.setHeader('Retry-After', failure.retryAfter);
    res.status(failure.status).json({ status: 'failure', error: { message: 'scripted failure', detail: `HTTP ${failure.status}` } });
    return true;
  }

  createConversation(body: Record<string, unknown>, action: string, requestId: string): SimConversation {
    const message = (body.message ?? {}) as { text?: string };
    const conv: SimConversation = {
      id: String(body.clientSessionId),
      userId: String(body.userId),
      ...(typeof body.emailId === 'string' ? { emailId: body.emailId } : {}),
      nowSessionId: randomBytes(16).toString('hex'),
      interactionId: randomBytes(16).toString('hex'),
      startAction: action,
      opening: {
        text: message.text ?? '',
        contextVariables: (body.contextVariables ?? {}) as Record<string, string>,
        clientVariables: body.clientVariables as Record<string, unknown> | undefined,
        history: Array.isArray(body.history) ? body.history : [],
        timestamp: typeof body.timestamp === 'number' ? body.timestamp : undefined,
        timezone: typeof body.timezone === 'string' ? body.timezone : undefined,
      },
      clientVariables: body.clientVariables as Record<string, unknown> | undefined,
      status: 'queued',
      agents: [],
      messages: [],
      afterEnd: [],
      typing: [],
      receipts: [],
      lastRequestId: requestId,
    };
    this.conversations.set(conv.id, conv);
    return conv;
  }

  download(conv: SimConversation, message: SimMessage): void {
    const att = message.attachment!;
    const url = att.url!;
    const authorization = att.headers?.Authorization ?? att.headers?.authorization;
    const job = (async () => {
      const media = url.startsWith(`${this.url}/api/now/v1/cccif/media/`) ? this.files.get(url.split('/').pop()!) : undefined;
      if (media) {
        message.download = { url, status: 200, contentType: media.contentType, bytes: media.bytes };
        return;
      }
      try {
        const res = await fetch(url, { headers: authorization ? { Authorization: authorization } : {} });
        const bytes = Buffer.from(await res.arrayBuffer());
        message.download = {
          url,
          authorization,
          status: res.status,
          contentType: res.headers.get('content-type') ?? undefined,
          ...(res.ok ? { bytes } : {}),
        };
      } catch (e) {
        message.download = { url, authorization, status: 0, error: (e as Error).message };
      }
      this.log(
        `chat ${conv.id} attachment ${att.fileName}: ${message.download.status === 200 ? `${message.download.bytes?.byteLength} bytes downloaded` : `download failed (${message.download.status})`}`,
      );
    })();
    this.downloads.add(job);
    void job.finally(() => this.downloads.delete(job));
  }

  // ---------------------------------------------------------------------------------------------

  private agent(index: number): SimAgent {
    const agent = this.agents[index];
    if (!agent) throw new Error(`the simulator has no agent #${index}`);
    return agent;
  }

  private open(id: string): SimConversation {
    const conv = this.conversation(id);
    if (conv.status === 'ended') throw new Error(`servicenow simulator: conversation ${id} has ended`);
    return conv;
  }

  private joined(id: string, agentIndex: number): SimConversation {
    const conv = this.open(id);
    if (!conv.agents.includes(agentIndex)) throw new Error(`servicenow simulator: agent #${agentIndex} has not joined ${id}`);
    return conv;
  }

  /** Post and insist on a 2xx, as a test of the happy path wants. */
  private async postOk(id: string, payload: Record<string, unknown>): Promise<void> {
    const { status, body } = await this.outbound.post(id, payload);
    if (status >= 300) throw new Error(`the bot's webhook answered ${status}: ${body}`);
  }
}

export { CHAT_CHANNEL, AVAILABLE_STATE } from './rest-routes';
export type { OutboundAuth } from './outbound';
export type { SimConversation, SimMessage } from './state';
