/**
 * ServiceNow Agent Chat as a `Desk`, through the Virtual Agent API.
 *
 * Out: chats are opened with START_CONVERSATION (`live_agent_only`) or AGENT; user messages,
 * typing, END_CONVERSATION and delivery receipts follow on the same endpoint, one call at a time
 * per chat (`outbox`), so they reach the agent in order. In: ServiceNow posts its replies to our
 * webhook (`receive`), handled by `InboundRelay` (inbound.ts): de-duplicated, then mapped and
 * relayed in arrival order per chat, outside the webhook's request.
 *
 * Chat state is in the Store (`ChatRepo`); read-modify-writes of one chat are serialized here
 * (`writes`), so an end and a late payload cannot overwrite each other in this process.
 */
import type { OutboundSwitches } from '../../../bots/http/outbound-guard';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { KeyedQueue } from '../../../bots/core/keyed-queue';
import { asBridgeError, BridgeError, ErrorCode } from '../../../bots/core/errors';
import type { FileVault, VaultEntry } from '../../../bots/core/file-vault';
import type {
  Availability,
  Clock,
  Desk,
  DeskEvent,
  DeskEventSink,
  EndReason,
  Logger,
  OpenChatRequest,
  Store,
  UserMessage,
} from '../../../bots/core/ports';
import { Attachments } from './attachments';
import { RestAuth } from './auth';
import { AvailabilityCheck } from './availability';
import { ChatRepo, snKeys, type ChatRecord } from './chat-repo';
import type { ServiceNowSettings } from './config';
import { ServiceNowHttp } from './http';
import { createIncident } from './incident';
import { InboundRelay } from './inbound';
import { actionRequest, messageRequest, openRequest, receiptsRequest, requesterOf } from './requests';
import { TypingSignals, type TypingAction } from './typing';
import { AvatarScreen } from '../avatars';
import { VaApi } from './va-api';
import type { WebhookReceiver } from './webhook';
import type { OutboundPayload } from './wire-types';

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
  private readonly inbound: InboundRelay;
  private readonly writes = new KeyedQueue();
  private readonly typing: TypingSignals;
  private readonly avatars: AvatarScreen;
  private sink?: DeskEventSink;

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
    this.inbound = new InboundRelay({
      settings: s,
      store: deps.store,
      logger: deps.logger,
      repo: this.repo,
      attachments: this.attachments,
      mutate: (sessionId, change) => this.mutate(sessionId, change),
      deliver: (event) => this.deliver(event),
      sendReceipts: (sessionId, chat, receipts) =>
        this.outbox.run(sessionId, () =>
          this.va.post('delivery receipts', receiptsRequest(chat.who, this.ids(), this.clock.now(), receipts)),
        ),
    });
  }

  async start(sink: DeskEventSink): Promise<void> {
    this.sink = sink;
    this.inbound.start();
  }

  async stop(): Promise<void> {
    this.typing.forgetAll();
    await this.inbound.stop();
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
      throw new BridgeError(ErrorCode.DeskUnavailable, 'ServiceNow could not queue the chat', {
        cause: err,
        retryable: err.retryable,
        status: err.status,
      });
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
          await this.va.post(
            'user message',
            messageRequest(chat.who, this.ids(), this.clock.now(), { text: message.text, clientMessageId: message.messageId }),
          );
          return;
        }
        // One attachment per request; the text rides with the first.
        for (const [i, file] of files.entries()) {
          const part = {
            text: i === 0 ? message.text : '',
            clientMessageId: i === 0 ? message.messageId : `${message.messageId}:${i}`,
            attachment: await this.attachments.toWire(chat, file),
          };
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
    await this.outbox.run(sessionId, () =>
      this.va.post('end chat', actionRequest(chat.who, this.ids(), this.clock.now(), 'END_CONVERSATION')),
    );
  }

  /** The files route's check (see attachments.ts). */
  authorizeFileFetch(req: Request, entry: Omit<VaultEntry, 'data'>): Promise<boolean> {
    return this.attachments.authorize(req, entry);
  }

  /** ServiceNow -> us: the webhook's payloads (see inbound.ts). */
  receive(payload: OutboundPayload): Promise<'accepted' | 'duplicate' | 'ignored'> {
    return this.inbound.receive(payload);
  }

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
      await this.outbox.run(chat.sessionId, () =>
        this.va.post(action.toLowerCase(), actionRequest(chat.who, this.ids(), this.clock.now(), action), 'never'),
      );
    } catch (e) {
      this.logger.debug({ err: asBridgeError(e), sessionId: chat.sessionId, action }, 'servicenow: typing signal not sent');
    }
  }

  private mutate<T>(sessionId: string, change: (chat: ChatRecord | undefined) => Promise<T>): Promise<T> {
    return this.writes.run(sessionId, async () => change(await this.repo.get(sessionId)));
  }
}
