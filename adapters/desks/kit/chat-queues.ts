/**
 * The two per-chat queues every desk that talks to a vendor needs:
 *
 * - `ChatOutbox`: calls to the vendor, one at a time per chat, so a user's messages, typing and
 *   the end reach the agent in the order the user made them (an HTTP client that retries never
 *   runs two attempts at once, so ordering is this queue's alone). Chats run in parallel.
 * - `ChatInbox`: what the vendor sent us (webhook payloads, stream frames), applied one at a time
 *   per chat in arrival order, after the request that brought it has been answered. On `stop` it
 *   refuses new work with a retryable 503 (the vendor redelivers later) and finishes what it took.
 */
import { asBridgeError, BridgeError, ErrorCode } from '../../../bots/core/errors';
import { KeyedQueue } from '../../../bots/core/keyed-queue';
import type { Logger } from '../../../bots/core/ports';

export class ChatOutbox {
  private readonly queue = new KeyedQueue();

  /** Run `call` after the chat's earlier calls; resolves or rejects with its own outcome. */
  send<T>(chatId: string, call: () => Promise<T>): Promise<T> {
    return this.queue.run(chatId, call);
  }

  /** Resolves when every call queued so far has finished (shutdown). */
  drain(): Promise<void> {
    return this.queue.drain();
  }
}

export class ChatInbox {
  private readonly queue = new KeyedQueue();
  private stopped = false;

  /** `desk` names the desk in log lines. */
  constructor(
    private readonly desk: string,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.stopped = false;
  }

  /** Refuse new work and finish the work taken. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue.drain();
  }

  /** Throws the retryable 503 a stopped inbox answers with; call before recording anything. */
  assertOpen(): void {
    if (this.stopped) throw new BridgeError(ErrorCode.DeskUnavailable, 'shutting down', { status: 503, retryable: true });
  }

  /**
   * Queue `apply` behind the chat's earlier work and return at once. A failure is logged and
   * handed to `undo` (e.g. forget the de-duplication mark, so a redelivery is applied). Call
   * `assertOpen` before recording anything (a mark): work recorded and then refused would be lost.
   */
  take(chatId: string, apply: () => Promise<void>, undo?: (error: unknown) => Promise<void>): void {
    void this.queue.run(chatId, () =>
      apply().catch(async (e) => {
        this.logger.error({ err: asBridgeError(e), sessionId: chatId }, `${this.desk}: payload could not be applied`);
        await undo?.(e).catch(() => undefined);
      }),
    );
  }
}
