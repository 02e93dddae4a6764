/**
 * ServiceNow Agent Chat as a `Desk`, through the Virtual Agent API.
 *
 * Out: chats are opened with START_CONVERSATION (`live_agent_only`) or AGENT; user messages,
 * typing, END_CONVERSATION and delivery receipts follow on the same endpoint, one call at a time
 * per chat (the kit's `ChatOutbox`), so they reach the agent in order. In: ServiceNow posts its
 * replies to our webhook (`receive`), handled by `InboundRelay` (inbound.ts): de-duplicated, then
 * mapped and relayed in arrival order per chat, outside the webhook's request; events reach the
 * broker's sink through the kit's `EventOutbox`.
 *
 * Chat state is in the Store (the kit's `ChatRepo`); its `mutate` serializes read-modify-writes
 * of one chat, so an end and a late payload cannot overwrite each other in this process.
 */
import type { OutboundSwitches } from '../../../bots/http/outbound-guard';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Request } from 'express';
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
import { type ChatRecord, type ChatRepo, createChatRepo, sentMarks } from './chat-repo';
import type { ServiceNowSettings } from './config';
import { ServiceNowHttp } from './http';
import { createIncident } from './incident';
import { InboundRelay } from './inbound';
import { actionRequest, messageRequest, openRequest, receiptsRequest, requesterOf } from './requests';
import { TypingSignals, type TypingAction } from './typing';
import { AvatarScreen } from '../avatars';
import { ChatOutbox } from '../kit/chat-queues';
import { EventOutbox } from '../kit/event-outbox';
import type { MarkSet } from '../kit/marks';
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

export class ServiceNowDesk implements Desk, WebhookReceiver {
  readonly name = 'servicenow';
  private readonly s: ServiceNowSettings;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly ids: () => string;
  private readonly va: VaApi;
  private readonly repo: ChatRepo;
  private readonly availability: AvailabilityCheck;
  private readonly attachments: Attachments;
  private readonly incident: (request: OpenChatRequest) => Promise<{ number: string }>;
  private readonly outbox = new ChatOutbox();
  private readonly events: EventOutbox;
  private readonly sent: MarkSet;
  private readonly inbound: InboundRelay;
  private readonly typing: TypingSignals;
  private readonly avatars: AvatarScreen;

  constructor(deps: ServiceNowDeskDeps) {
    const s = deps.settings;
    this.s = s;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.ids = deps.ids ?? randomUUID;
    const http = new ServiceNowHttp(
      { fetch: deps.fetch ?? fetch, clock: deps.clock, logger: deps.logger, random: deps.random },
      { timeoutMs: s.requestTimeoutMs, ...s.retry },
    );
    const auth = new RestAuth(s.auth, s.instanceUrl, http, deps.clock, deps.logger);
    this.va = new VaApi(s, http, auth);
    this.repo = createChatRepo(deps.store, s.chatTtlHours * 60 * 60 * 1000);
    this.events = new EventOutbox('servicenow', deps.logger);
    this.sent = sentMarks(deps.store);
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
      deliver: (event) => this.deliver(event),
      sendReceipts: (sessionId, chat, receipts) =>
        this.outbox.send(sessionId, () =>
          this.va.post('delivery receipts', receiptsRequest(chat.who, this.ids(), this.clock.now(), receipts)),
        ),
    });
  }

  async start(sink: DeskEventSink): Promise<void> {
    this.events.start(sink);
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
    const chat = await this.repo.mutate(id, async (current) => {
      if (current && current.status !== 'ended') throw new BridgeError(ErrorCode.Conflict, `servicenow: chat ${id} is already open`);
      const fresh: ChatRecord = {
        sessionId: id,
        who: requesterOf(request, this.s),
        fileSecret: randomBytes(32).toString('base64url'),
        status: 'queued',
        agents: [],
        createdAt: this.clock.now(),
      };
      await this.repo.put(id, fresh);
      return fresh;
    });
    const incidentNumber = this.s.incident.enabled ? await this.fileTicket(chat, request) : undefined;
    try {
      const body = openRequest({ request, who: chat.who, requestId: this.ids(), now: this.clock.now(), incidentNumber }, this.s);
      await this.outbox.send(id, () => this.va.post('start chat', body));
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
    // Not relayed (a failure): the mark is forgotten, so the broker's or the surface's retry is not dropped.
    const outcome = await this.sent.once([sessionId, message.messageId], () =>
      this.outbox.send(sessionId, async () => {
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
      }),
    );
    if (outcome === 'duplicate') this.logger.debug({ sessionId, messageId: message.messageId }, 'servicenow: user message already relayed');
  }

  /** TYPING / VIEWING (see typing.ts); best-effort, so it never throws. */
  async sendTyping(sessionId: string): Promise<void> {
    const chat = await this.repo.get(sessionId);
    if (chat?.status !== 'live') return;
    await this.typing.typed(sessionId, (action) => this.signal(chat, action));
  }

  async endChat(sessionId: string, reason: EndReason): Promise<void> {
    const chat = await this.markEnded(sessionId);
    if (!chat) {
      this.logger.info({ sessionId, reason }, 'servicenow: endChat for a chat that is unknown or already ended; nothing to do');
      return;
    }
    this.typing.forget(sessionId);
    await this.outbox.send(sessionId, () =>
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

  /** Hand an event to the broker's sink, in order per chat; rejects when it was not delivered. */
  private deliver(event: DeskEvent): Promise<void> {
    return this.events.deliverOrThrow(this.avatars.screen(event));
  }

  /** File the ticket, tell the user its number; a failure is logged and the chat goes on without one. */
  private async fileTicket(chat: ChatRecord, request: OpenChatRequest): Promise<string | undefined> {
    try {
      const { number } = await this.incident(request);
      await this.repo.mutate(
        chat.sessionId,
        async (current) => current && this.repo.put(current.sessionId, { ...current, incidentNumber: number }),
      );
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
    return this.repo.mutate(sessionId, async (chat) => {
      if (!chat || chat.status === 'ended') return undefined;
      const ended: ChatRecord = { ...chat, status: 'ended', endedBy: 'us' };
      await this.repo.put(sessionId, ended);
      return ended;
    });
  }

  private async signal(chat: ChatRecord, action: TypingAction): Promise<void> {
    try {
      await this.outbox.send(chat.sessionId, () =>
        this.va.post(action.toLowerCase(), actionRequest(chat.who, this.ids(), this.clock.now(), action), 'never'),
      );
    } catch (e) {
      this.logger.debug({ err: asBridgeError(e), sessionId: chat.sessionId, action }, 'servicenow: typing signal not sent');
    }
  }
}
