/**
 * ServiceNow Agent Chat as a `Desk`, through the Virtual Agent API.
 *
 * Out: chats are opened with START_CONVERSATION (`live_agent_only`) or AGENT; user messages,
 * typing, END_CONVERSATION and delivery receipts follow on the same endpoint, one call at a time
 * per chat (`outbox`), so they reach the agent in order. In: ServiceNow posts its replies to our
 * webhook (`receive`); each payload is de-duplicated, then mapped and relayed in arrival order
 * per chat (`inbox`), outside the webhook's request so ServiceNow gets its answer at once.
 *
 * Chat state is in the Store (`ChatRepo`); read-modify-writes of one chat are serialized here
 * (`writes`), so an end and a late payload cannot overwrite each other in this process.
 */
import type { OutboundSwitches } from '../../../bots/http/outbound-guard';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { KeyedQueue } from '../../../bots/core/keyed-queue';
import { asBridgeError, BridgeError, ErrorCode } from '../../../bots/core/errors';
import type { FileVault, VaultEntry } from '../../../bots/core/file-vault';
import type { Availability, Clock, Desk, DeskEvent, DeskEventSink, EndReason, Logger, OpenChatRequest, Store, UserMessage } from '../../../bots/core/ports';
import { Attachments } from './attachments';
import { RestAuth } from './auth';
import { AvailabilityCheck } from './availability';
import { ChatRepo, snKeys, type ChatRecord } from './chat-repo';
import type { ServiceNowSettings } from './config';
import { ServiceNowHttp } from './http';
import { createIncident } from './incident';
import { mapOutbound } from './mapper';
import { actionRequest, messageRequest, openRequest, receiptsRequest, requesterOf } from './requests';
import { TypingSignals, type TypingAction } from './typing';
import { AvatarScreen } from '../avatars';
import { VaApi } from './va-api';
import type { WebhookReceiver } from './webhook';
import type { OutboundPayload, ReceiptStatus } from './wire-types';

export interface ServiceNowDeskDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  files: FileVault;
  settings: ServiceNowSettings;
  /** How long the FileVault keeps files (`bot.files.ttlMinutes`); default a day. */
  fileTtlMs?: number;
  fetch?: typeof fetch;
  /** `server.outboundFetch`: the guard's switches for agent files fetched from the instance. */
  outbound?: OutboundSwitches;
  /** Request ids; random UUIDs unless a test wants predictable ones. */
  ids?: () => string;
  random?: () => number;
}

/**
 * A user message id is relayed once, even when the surface retries: for 15 minutes, the broker's
 * own de-duplication window (issue 11: nothing per message outlives 15 minutes).
 */
const SENT_MARK_TTL_MS = 15 * 60 * 1000;

export class ServiceNowDesk implements Desk, WebhookReceiver {
  readonly name = 'servicenow';
  private readonly s: ServiceNowSettings;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly ids: () => string;
  private readonly va: VaApi;
  private readonly repo: ChatRepo;
  private readonly availability: AvailabilityCheck;
  private readonly attachments: Attachments;
  private readonly incident: (request: OpenChatRequest) => Promise<{ number: string }>;
  private readonly outbox = new KeyedQueue();
  private readonly inbox = new KeyedQueue();
  private readonly writes = new KeyedQueue();
  private readonly typing: TypingSignals;
  private readonly avatars: AvatarScreen;
  private sink?: DeskEventSink;
  private stopped = false;

  constructor(deps: ServiceNowDeskDeps) {
    const s = deps.settings;
    this.s = s;
    this.store = deps.store;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.ids = deps.ids ?? randomUUID;
    const http = new ServiceNowHttp(
      { fetch: deps.fetch ?? fetch, clock: deps.clock, logger: deps.logger, random: deps.random },
      { timeoutMs: s.requestTimeoutMs, ...s.retry },
    );
    const auth = new RestAuth(s.auth, s.instanceUrl, http, deps.clock, deps.logger);
    this.va = new VaApi(s, http, auth);
    this.repo = new ChatRepo(deps.store, s.chatTtlHours * 60 * 60 * 1000);
    this.typing = new TypingSignals(deps.clock, s.typingIdleSeconds * 1000);
    this.avatars = new AvatarScreen(deps.logger, 'servicenow');
    this.availability = new AvailabilityCheck(s.availability, s.instanceUrl, http, auth, deps.clock, deps.logger);
    this.attachments = new Attachments({
      store: deps.store,
      clock: deps.clock,
      fileTtlMs: deps.fileTtlMs ?? 24 * 60 * 60 * 1000,
      vault: deps.files,
      repo: this.repo,
      http,
      auth,
      settings: s,
      logger: deps.logger,
      outbound: deps.outbound,
    });
    this.incident = (request) => createIncident(request, s.incident, s.instanceUrl, http, auth);
  }

  async start(sink: DeskEventSink): Promise<void> {
    this.sink = sink;
    this.stopped = false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.typing.forgetAll();
    await this.inbox.drain();
    await this.outbox.drain();
  }

  checkAvailability(): Promise<Availability> {
    return this.availability.check();
  }

  async openChat(request: OpenChatRequest): Promise<void> {
    const id = request.sessionId;
    const chat = await this.mutate(id, async (current) => {
      if (current && current.status !== 'ended') throw new BridgeError(ErrorCode.Conflict, `servicenow: chat ${id} is already open`);
      const fresh: ChatRecord = {
        sessionId: id,
        who: requesterOf(request, this.s),
        fileSecret: randomBytes(32).toString('base64url'),
        status: 'queued',
        agents: [],
        createdAt: this.clock.now(),
      };
      await this.repo.put(fresh);
      return fresh;
    });
    const incidentNumber = this.s.incident.enabled ? await this.fileTicket(chat, request) : undefined;
    try {
      const body = openRequest({ request, who: chat.who, requestId: this.ids(), now: this.clock.now(), incidentNumber }, this.s);
      await this.outbox.run(id, () => this.va.post('start chat', body));
    } catch (e) {
      await this.markEnded(id);
      const err = asBridgeError(e);
      throw new BridgeError(ErrorCode.DeskUnavailable, 'ServiceNow could not queue the chat', { cause: err, retryable: err.retryable, status: err.status });
    }
  }

  async sendMessage(sessionId: string, message: UserMessage): Promise<void> {
    const chat = await this.repo.get(sessionId);
    if (!chat || chat.status === 'ended') throw new BridgeError(ErrorCode.UnknownSession, `servicenow: no open chat ${sessionId}`);
    const mark = snKeys.sent(sessionId, message.messageId);
    if (!(await this.store.claim(mark, SENT_MARK_TTL_MS))) {
      this.logger.debug({ sessionId, messageId: message.messageId }, 'servicenow: user message already relayed');
      return;
    }
    try {
      await this.outbox.run(sessionId, async () => {
        const files = message.files ?? [];
        if (files.length === 0) {
          await this.va.post('user message', messageRequest(chat.who, this.ids(), this.clock.now(), { text: message.text, clientMessageId: message.messageId }));
          return;
        }
        // One attachment per request; the text rides with the first.
        for (const [i, file] of files.entries()) {
          const part = { text: i === 0 ? message.text : '', clientMessageId: i === 0 ? message.messageId : `${message.messageId}:${i}`, attachment: await this.attachments.toWire(chat, file) };
          await this.va.post('user file', messageRequest(chat.who, this.ids(), this.clock.now(), part));
        }
      });
    } catch (e) {
      // Not relayed: forget the mark so the broker's or the surface's retry is not dropped.
      await this.store.delete(mark).catch(() => undefined);
      throw e;
    }
  }

  /** TYPING / VIEWING (see typing.ts); best-effort, so it never throws. */
  async sendTyping(sessionId: string): Promise<void> {
    const chat = await this.repo.get(sessionId);
    if (!chat || chat.status !== 'live') return;
    await this.typing.typed(sessionId, (action) => this.signal(chat, action));
  }

  async endChat(sessionId: string, reason: EndReason): Promise<void> {
    const chat = await this.markEnded(sessionId);
    if (!chat) {
      this.logger.info({ sessionId, reason }, 'servicenow: endChat for a chat that is unknown or already ended; nothing to do');
      return;
    }
    this.typing.forget(sessionId);
    await this.outbox.run(sessionId, () => this.va.post('end chat', actionRequest(chat.who, this.ids(), this.clock.now(), 'END_CONVERSATION')));
  }

  /** The files route's check (see attachments.ts). */
  authorizeFileFetch(req: Request, entry: Omit<VaultEntry, 'data'>): Promise<boolean> {
    return this.attachments.authorize(req, entry);
  }

  // -------------------------------------------------------------------------------------------
  // ServiceNow -> us (the webhook)
  // -------------------------------------------------------------------------------------------

  async receive(payload: OutboundPayload): Promise<'accepted' | 'duplicate' | 'ignored'> {
    if (this.stopped) throw new BridgeError(ErrorCode.DeskUnavailable, 'shutting down', { status: 503, retryable: true });
    const sessionId = sessionOf(payload);
    if (!sessionId) {
      this.logger.warn({ requestId: payload.requestId }, 'servicenow: payload without clientSessionId ignored');
      return 'ignored';
    }
    // Compact JSON, so a redelivery with different whitespace is still the same payload.
    const hash = createHash('sha256').update(JSON.stringify(payload)).digest('hex');
    const mark = snKeys.payload(hash);
    if (!(await this.store.claim(mark, this.s.webhook.dedupeMinutes * 60 * 1000))) {
      this.logger.debug({ sessionId, requestId: payload.requestId }, 'servicenow: duplicate payload dropped');
      return 'duplicate';
    }
    void this.inbox.run(sessionId, () =>
      this.apply(sessionId, payload, hash.slice(0, 16)).catch(async (e) => {
        this.logger.error({ err: asBridgeError(e), sessionId }, 'servicenow: payload could not be applied');
        await this.store.delete(mark).catch(() => undefined); // nothing was applied: let a redelivery try
      }),
    );
    return 'accepted';
  }

  private async apply(sessionId: string, payload: OutboundPayload, payloadId: string): Promise<void> {
    const result = await this.mutate(sessionId, async (chat) => {
      if (!chat) return undefined;
      const mapped = mapOutbound(payload, chat, { sessionId, payloadId, defaultAgentName: this.s.defaultAgentName, instanceOrigin: this.s.instanceUrl });
      const next: ChatRecord = { ...chat, ...mapped.state, ...(mapped.state.status === 'ended' && chat.status !== 'ended' ? { endedBy: 'desk' as const } : {}) };
      if (JSON.stringify(next) !== JSON.stringify(chat)) await this.repo.put(next);
      return { chat: next, mapped };
    });
    if (!result) {
      this.logger.warn({ sessionId }, 'servicenow: payload for an unknown chat ignored');
      return;
    }
    const { chat, mapped } = result;
    if (mapped.ignored.length > 0) this.logger.info({ sessionId, ignored: mapped.ignored }, 'servicenow: outputs not relayed (unknown or virtual-agent only)');
    const receipts: { id: string; status: ReceiptStatus }[] = [];
    for (const mappedEvent of mapped.events) {
      const event = await this.attachments.forUser(mappedEvent);
      const receipt = event.type === 'agentMessage' && mapped.receipts.includes(event.messageId) ? event.messageId : undefined;
      try {
        await this.deliver(event);
        if (receipt) receipts.push({ id: receipt, status: 'sent_to_user' });
      } catch (e) {
        this.logger.warn({ err: asBridgeError(e), sessionId, type: event.type }, 'servicenow: event not delivered to the user');
        if (receipt) receipts.push({ id: receipt, status: 'external_error' });
      }
    }
    if (receipts.length > 0 && this.s.deliveryReceipts) {
      await this.outbox
        .run(sessionId, () => this.va.post('delivery receipts', receiptsRequest(chat.who, this.ids(), this.clock.now(), receipts)))
        .catch((e) => this.logger.warn({ err: asBridgeError(e), sessionId }, 'servicenow: delivery receipts not sent'));
    }
  }

  // -------------------------------------------------------------------------------------------

  private async deliver(event: DeskEvent): Promise<void> {
    if (!this.sink) throw new BridgeError(ErrorCode.DeskUnavailable, 'servicenow desk not started');
    await this.sink(this.avatars.screen(event));
  }

  /** File the ticket, tell the user its number; a failure is logged and the chat goes on without one. */
  private async fileTicket(chat: ChatRecord, request: OpenChatRequest): Promise<string | undefined> {
    try {
      const { number } = await this.incident(request);
      await this.mutate(chat.sessionId, async (current) => current && this.repo.put({ ...current, incidentNumber: number }));
      const text = this.s.incident.userMessage.split('{number}').join(number);
      await this.deliver({ type: 'systemMessage', sessionId: chat.sessionId, messageId: `incident:${number}`, text }).catch((e) =>
        this.logger.warn({ err: asBridgeError(e), sessionId: chat.sessionId }, 'servicenow: could not tell the user the ticket number'),
      );
      return number;
    } catch (e) {
      this.logger.warn({ err: asBridgeError(e), sessionId: chat.sessionId }, 'servicenow: ticket not filed; queueing the chat without one');
      return undefined;
    }
  }

  /** Mark a chat ended by us; resolves with it, or undefined when unknown or already ended. */
  private markEnded(sessionId: string): Promise<ChatRecord | undefined> {
    return this.mutate(sessionId, async (chat) => {
      if (!chat || chat.status === 'ended') return undefined;
      const ended: ChatRecord = { ...chat, status: 'ended', endedBy: 'us' };
      await this.repo.put(ended);
      return ended;
    });
  }

  private async signal(chat: ChatRecord, action: TypingAction): Promise<void> {
    try {
      await this.outbox.run(chat.sessionId, () => this.va.post(action.toLowerCase(), actionRequest(chat.who, this.ids(), this.clock.now(), action), 'never'));
    } catch (e) {
      this.logger.debug({ err: asBridgeError(e), sessionId: chat.sessionId, action }, 'servicenow: typing signal not sent');
    }
  }

  private mutate<T>(sessionId: string, change: (chat: ChatRecord | undefined) => Promise<T>): Promise<T> {
    return this.writes.run(sessionId, async () => change(await this.repo.get(sessionId)));
  }
}

function sessionOf(payload: OutboundPayload): string | undefined {
  if (typeof payload.clientSessionId === 'string' && payload.clientSessionId) return payload.clientSessionId;
  const fromVars = payload.clientVariables?.bridgeSessionId;
  return typeof fromVars === 'string' && fromVars ? fromVars : undefined;
}
