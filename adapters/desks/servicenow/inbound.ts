/**
 * ServiceNow -> us: the payloads ServiceNow posts to our webhook. Each one is de-duplicated by
 * its hash (a redelivery changes nothing), then mapped and relayed in arrival order per chat
 * (`inbox`), outside the webhook's request so ServiceNow gets its answer at once. Agent messages
 * the user got (or did not) are acknowledged with delivery receipts when configured.
 */
import { createHash } from 'node:crypto';
import { KeyedQueue } from '../../../bots/core/keyed-queue';
import { asBridgeError, BridgeError, ErrorCode } from '../../../bots/core/errors';
import type { DeskEvent, Logger, Store } from '../../../bots/core/ports';
import type { Attachments } from './attachments';
import { snKeys, type ChatRecord, type ChatRepo } from './chat-repo';
import type { ServiceNowSettings } from './config';
import { mapOutbound } from './mapper';
import type { OutboundPayload, ReceiptStatus } from './wire-types';

export type Receipt = { id: string; status: ReceiptStatus };

export interface InboundRelayDeps {
  settings: ServiceNowSettings;
  store: Store;
  logger: Logger;
  repo: ChatRepo;
  attachments: Attachments;
  /** The desk's read-modify-write of one chat, so a payload and an end cannot overwrite each other. */
  mutate: <T>(sessionId: string, change: (chat: ChatRecord | undefined) => Promise<T>) => Promise<T>;
  /** Hand an event to the broker's sink; rejects when it was not delivered. */
  deliver: (event: DeskEvent) => Promise<void>;
  /** Post delivery receipts to ServiceNow (on the chat's outbox, in order with its other calls). */
  sendReceipts: (sessionId: string, chat: ChatRecord, receipts: Receipt[]) => Promise<void>;
}

export class InboundRelay {
  private readonly s: ServiceNowSettings;
  private readonly store: Store;
  private readonly logger: Logger;
  private readonly inbox = new KeyedQueue();
  private stopped = false;

  constructor(private readonly deps: InboundRelayDeps) {
    this.s = deps.settings;
    this.store = deps.store;
    this.logger = deps.logger;
  }

  start(): void {
    this.stopped = false;
  }

  /** Refuse new payloads (ServiceNow redelivers them later) and finish the ones taken. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.inbox.drain();
  }

  /** Take a payload: 'accepted' (relayed soon), 'duplicate' (seen already) or 'ignored' (no chat id). */
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
    const result = await this.deps.mutate(sessionId, async (chat) => {
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
      if (JSON.stringify(next) !== JSON.stringify(chat)) await this.deps.repo.put(next);
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

  // -------------------------------------------------------------------------------------------
}

function sessionOf(payload: OutboundPayload): string | undefined {
  if (typeof payload.clientSessionId === 'string' && payload.clientSessionId) return payload.clientSessionId;
  const fromVars = payload.clientVariables?.bridgeSessionId;
  return typeof fromVars === 'string' && fromVars ? fromVars : undefined;
}
