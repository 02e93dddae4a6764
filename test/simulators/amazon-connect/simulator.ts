/**
 * A local Amazon Connect for the calls a chat bridge makes: a real HTTP server on 127.0.0.1 that
 * serves the Connect API (StartChatContact, GetCurrentMetricData), the Participant Service and
 * the chat WebSocket, so AWS's own SDK clients (endpoint overridden, dummy credentials) and `ws`
 * talk to it exactly as they would to AWS.
 *
 * Scriptable from tests and by hand (cli.ts): `agent` (join, say, typing, transfer, supervisor,
 * system, end, files), `failNext` (throttling, 5xx, quota), `expireConnections`, `dropSockets`,
 * `setAgents`; `requests` logs every call, `customerItems` what the customer sent.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentScript } from './agent-script';
import { attachmentRoutes } from './attachment-routes';
import { contactRoutes } from './contact-routes';
import type { SimContext, SimLimits } from './context';
import { type FaultKind, Faults } from './faults';
import { AwsError, match, parseJson, type Route, readBody, send, sendError } from './http';
import { ATTACHMENT_MAX_BYTES, type ChatItem, type ItemType } from './items';
import { participantRoutes } from './participant-routes';
import { type SimContact, type SimParticipant, SimState } from './state';
import { WebSocketHub } from './websocket-hub';

export interface SimulatorOptions {
  port?: number;
  instanceId?: string;
  contactFlowId?: string;
  /** The flow's queue, for GetCurrentMetricData. */
  queueId?: string;
  limits?: Partial<SimLimits>;
  maxActiveChats?: number;
  log?: (line: string) => void;
}

export interface SimRequest {
  operation: string;
  method: string;
  path: string;
  status: number;
  at: number;
}

export interface SimulatorEvents {
  contact: [SimContact];
  item: [SimContact, ChatItem];
}

export const SIM_DEFAULTS = {
  instanceId: '11111111-2222-3333-4444-555555555555',
  contactFlowId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  queueId: 'q-0000-simulated-chat-queue',
  region: 'eu-west-1',
};

const DEFAULT_LIMITS: SimLimits = {
  messageMaxLength: 1024,
  attributesMaxBytes: 32768,
  attachmentMaxBytes: ATTACHMENT_MAX_BYTES,
  connectionTokenTtlMs: 24 * 60 * 60_000,
  websocketOpenWithinMs: 100_000,
  websocketLifetimeMs: 60 * 60_000,
};

export class AmazonConnectSimulator extends EventEmitter<SimulatorEvents> implements SimContext {
  readonly state: SimState;
  readonly limits: SimLimits;
  readonly faults = new Faults();
  readonly agent: AgentScript;
  readonly hub: WebSocketHub;
  readonly requests: SimRequest[] = [];
  url = '';
  private readonly routes: Route[];
  private server?: Server;

  private constructor(private readonly options: SimulatorOptions) {
    super();
    this.state = new SimState(
      options.instanceId ?? SIM_DEFAULTS.instanceId,
      options.contactFlowId ?? SIM_DEFAULTS.contactFlowId,
      options.queueId ?? SIM_DEFAULTS.queueId,
    );
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.agent = new AgentScript(this);
    this.hub = new WebSocketHub(this.state, (line) => this.options.log?.(line));
    this.routes = [
      ...contactRoutes(this, { maxActiveChats: options.maxActiveChats ?? 1000 }),
      ...participantRoutes(this),
      ...attachmentRoutes(this),
    ];
  }

  static async start(options: SimulatorOptions = {}): Promise<AmazonConnectSimulator> {
    const sim = new AmazonConnectSimulator(options);
    const server = createServer((req, res) => void sim.handle(req, res));
    server.on('upgrade', (req, socket, head) => sim.hub.upgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    sim.server = server;
    sim.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return sim;
  }

  /** The environment that points the bridge (and the SDK's default credential chain) here. */
  env(): Record<string, string> {
    return {
      AMAZON_CONNECT_INSTANCE_ID: this.state.instanceId,
      AMAZON_CONNECT_CONTACT_FLOW_ID: this.state.contactFlowId,
      AWS_REGION: SIM_DEFAULTS.region,
      AMAZON_CONNECT_ENDPOINT: this.url,
      AMAZON_CONNECT_PARTICIPANT_ENDPOINT: this.url,
      // The simulator ignores SigV4, but the SDK refuses to sign without credentials.
      AWS_ACCESS_KEY_ID: 'AKIDSIMULATOR0000000',
      AWS_SECRET_ACCESS_KEY: 'simulator-secret-access-key-not-checked',
    };
  }

  // --- scripting --------------------------------------------------------------------------------

  contact(id: string): SimContact {
    return this.state.contact(id);
  }

  latestContact(): SimContact | undefined {
    return [...this.state.contacts.values()].at(-1);
  }

  /** What the customer (the bridge) sent: messages, events, attachments, in order. */
  customerItems(contactId: string): ChatItem[] {
    const contact = this.contact(contactId);
    return contact.items.filter((i) => i.ParticipantId === contact.customer.participantId);
  }

  /**
   * The next `count` calls of `operation` (e.g. 'SendMessage') fail. `afterHandling`: the call
   * takes effect and only the answer is an error, as when a response is lost.
   */
  failNext(operation: string, count: number, kind: FaultKind, opts: { afterHandling?: boolean } = {}): void {
    this.faults.failNext(operation, count, kind, opts);
  }

  /** Every ConnectionToken of the chat now answers 403; CreateParticipantConnection issues fresh ones. */
  expireConnections(contactId: string): number {
    return this.state.expireConnections(contactId);
  }

  /** Drop the chat's WebSockets (abrupt: a network failure; otherwise a close frame). */
  dropSockets(contactId: string, abrupt = true): number {
    return this.hub.drop(contactId, abrupt);
  }

  setAgents(counts: { available: number; online?: number }): void {
    this.state.agentsAvailable = counts.available;
    this.state.agentsOnline = counts.online ?? Math.max(counts.available, this.state.agentsOnline);
  }

  calls(operation: string): SimRequest[] {
    return this.requests.filter((r) => r.operation === operation);
  }

  async close(): Promise<void> {
    this.hub.close();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // --- SimContext ---------------------------------------------------------------------------------

  post(
    contact: SimContact,
    from: SimParticipant | undefined,
    fields: { Type: ItemType; ContentType: string; Content?: string } & Partial<ChatItem>,
  ): ChatItem {
    const item = this.state.addItem(contact, from, fields);
    this.hub.publish(contact.initialContactId, item);
    this.emit('item', contact, item);
    return item;
  }

  started(contact: SimContact): void {
    this.emit('contact', contact);
  }

  // --- HTTP ---------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    let operation = 'Unknown';
    let status = 200;
    try {
      const found = this.routes.map((route) => ({ route, params: match(route, method, url.pathname) })).find((r) => r.params);
      if (!found?.params) throw new AwsError(404, 'UnknownOperationException', `The simulator has no ${method} ${url.pathname}`);
      const { route, params } = found;
      operation = route.operation;
      if (route.auth === 'sigv4' && !req.headers.authorization) {
        throw new AwsError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
      }
      const body = await readBody(req, route.bodyLimit ?? 1024 * 1024);
      const fault = this.faults.take(operation);
      if (fault && !fault.afterHandling) throw fault.error;
      const result = await route.handle({ req, url, params, body, json: () => parseJson(body) });
      if (fault) throw fault.error;
      status = result.status ?? 200;
      send(res, result);
    } catch (e) {
      const error = e instanceof AwsError ? e : new AwsError(500, 'InternalServerException', (e as Error).message);
      status = error.status;
      if (!(e instanceof AwsError)) this.options.log?.(`error in ${operation}: ${(e as Error).stack}`);
      sendError(res, error);
    } finally {
      this.requests.push({ operation, method, path: url.pathname, status, at: Date.now() });
    }
  }
}

export type { SimContact, SimParticipant } from './state';
export type { ChatItem } from './items';
export { EVENT } from './items';
