/**
 * ServiceNow -> us: the payloads ServiceNow posts to our webhook. Each one is de-duplicated by
 * its hash (the kit's `MarkSet`: a redelivery changes nothing), then mapped and relayed in
 * arrival order per chat (the kit's `ChatInbox`), outside the webhook's request so ServiceNow gets
 * its answer at once. Agent messages
 * the user got (or did not) are acknowledged with delivery receipts when configured.
 */
import { createHash } from 'node:crypto';
import { asBridgeError } from '../../../bots/core/errors';
import type { DeskEvent, Logger, Store } from '../../../bots/core/ports';
import { ChatInbox } from '../kit/chat-queues';
import type { MarkSet } from '../kit/marks';
import type { Attachments } from './attachments';
import { type ChatRecord, type ChatRepo, payloadMarks } from './chat-repo';
import type { ServiceNowSettings } from './config';
import { mapOutbound } from './mapper';
import type { OutboundPayload, ReceiptStatus } from './wire-types';

export type Receipt = { id: string; status: ReceiptStatus };

export interface InboundRelayDeps {
  settings: ServiceNowSettings;
  store: Store;
  logger: Logger;
  /** Its `mutate` is the desk's read-modify-write of one chat, so a payload and an end cannot overwrite each other. */
  repo: ChatRepo;
  attachments: Attachments;
  /** Hand an event to the broker's sink; rejects when it was not delivered. */
  deliver: (event: DeskEvent) => Promise<void>;
  /** Post delivery receipts to ServiceNow (on the chat's outbox, in order with its other calls). */
  sendReceipts: (sessionId: string, chat: ChatRecord, receipts: Receipt[]) => Promise<void>;
}

export class InboundRelay {
  private readonly s: ServiceNowSettings;
  private readonly logger: Logger;
  private readonly inbox: ChatInbox;
  private readonly marks: MarkSet;

  constructor(private readonly deps: InboundRelayDeps) {
    this.s = deps.settings;
    this.logger = deps.logger;
    this.inbox = new ChatInbox('servicenow', deps.logger);
    this.marks = payloadMarks(deps.store, this.s.webhook.dedupeMinutes * 60 * 1000);
  }

  start(): void {
    this.inbox.start();
  }

  /** Refuse new payloads (ServiceNow redelivers them later) and finish the ones taken. */
  stop(): Promise<void> {
    return this.inbox.stop();
  }

  /** Take a payload: 'accepted' (relayed soon), 'duplicate' (seen already) or 'ignored' (no chat id). */
  async receive(payload: OutboundPayload): Promise<'accepted' | 'duplicate' | 'ignored'> {
    this.inbox.assertOpen();
    const sessionId = sessionOf(payload);
    if (!sessionId) {
      this.logger.warn({ requestId: payload.requestId }, 'servicenow: payload without clientSessionId ignored');
      return 'ignored';
    }
    // Compact JSON, so a redelivery with different whitespace is still the same payload.
    const hash = createHash('sha256').update(JSON.stringify(payload)).digest('hex');
    if (!(await this.marks.claim(hash))) {
      this.logger.debug({ sessionId, requestId: payload.requestId }, 'servicenow: duplicate payload dropped');
      return 'duplicate';
    }
    // Nothing was applied when it fails: forget the mark, so a redelivery tries again.
    this.inbox.take(
      sessionId,
      () => this.apply(sessionId, payload, hash.slice(0, 16)),
      () => this.marks.forget(hash),
    );
    return 'accepted';
  }

  private async apply(sessionId: string, payload: OutboundPayload, payloadId: string): Promise<void> {
    const result = await this.deps.repo.mutate(sessionId, async (chat) => {
      if (!chat) return undefined;
      const mapped = mapOutbound(payload, chat, {
        sessionId,
        payloadId,
        defaultAgentName: this.s.defaultAgentName,
        instanceOrigin: this.s.instanceUrl,
      });
      const next: ChatRecord = {
        ...chat,
        ...mapped.state,
        ...(mapped.state.status === 'ended' && chat.status !== 'ended' ? { endedBy: 'desk' as const } : {}),
      };
      if (JSON.stringify(next) !== JSON.stringify(chat)) await this.deps.repo.put(sessionId, next);
      return { chat: next, mapped };
    });
    if (!result) {
      this.logger.warn({ sessionId }, 'servicenow: payload for an unknown chat ignored');
      return;
    }
    const { chat, mapped } = result;
    if (mapped.ignored.length > 0)
      this.logger.info({ sessionId, ignored: mapped.ignored }, 'servicenow: outputs not relayed (unknown or virtual-agent only)');
    const receipts: Receipt[] = [];
    for (const mappedEvent of mapped.events) {
      const event = await this.deps.attachments.forUser(mappedEvent);
      const receipt = event.type === 'agentMessage' && mapped.receipts.includes(event.messageId) ? event.messageId : undefined;
      try {
        await this.deps.deliver(event);
        if (receipt) receipts.push({ id: receipt, status: 'sent_to_user' });
      } catch (e) {
        this.logger.warn({ err: asBridgeError(e), sessionId, type: event.type }, 'servicenow: event not delivered to the user');
        if (receipt) receipts.push({ id: receipt, status: 'external_error' });
      }
    }
    if (receipts.length > 0 && this.s.deliveryReceipts) {
      await this.deps
        .sendReceipts(sessionId, chat, receipts)
        .catch((e) => this.logger.warn({ err: asBridgeError(e), sessionId }, 'servicenow: delivery receipts not sent'));
    }
  }
}

function sessionOf(payload: OutboundPayload): string | undefined {
  if (typeof payload.clientSessionId === 'string' && payload.clientSessionId) return payload.clientSessionId;
  const fromVars = payload.clientVariables?.bridgeSessionId;
  return typeof fromVars === 'string' && fromVars ? fromVars : undefined;
}
