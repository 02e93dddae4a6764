/**
 * One writer per console chat across processes: a Store lease per chat (`console:lock:<id>`),
 * taken around each read-modify-write of the chat record and released after. Within a process a
 * `KeyedQueue` already runs a chat's writes one at a time, so only writers in other processes
 * ever wait here; the memory store (one process) always finds the lease free.
 *
 * A process that dies while holding a chat's lease blocks that chat's writes until the lease
 * expires (`CHAT_LOCK_TTL_MS`); a write waits at most `CHAT_LOCK_WAIT_MS` for it, then fails
 * with a retryable 503 (the console and the doors retry).
 */
import { randomUUID } from 'node:crypto';
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import type { Lease, Logger, Store } from '../../../bots/core/ports';

export const CHAT_LOCK_PREFIX = 'console:lock:';
/** Far above any one write (a file upload's vault write included). */
export const CHAT_LOCK_TTL_MS = 15_000;
/** Longest wait for another process's write of the same chat. */
export const CHAT_LOCK_WAIT_MS = 15_000;

export class ChatLocks {
  /** This process's name on the leases (random: two desks in one process are two writers). */
  readonly owner = `console-${randomUUID()}`;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
  ) {}

  /** Run `write` holding chat `chatId`'s lease. */
  async hold<T>(chatId: string, write: () => Promise<T>): Promise<T> {
    const lease = await this.acquire(CHAT_LOCK_PREFIX + chatId);
    try {
      return await write();
    } finally {
      await this.store.releaseLease(lease.name, lease.owner, lease.token).catch((e: unknown) => {
        // It expires by itself; until then, other processes' writes to this chat wait.
        this.logger.warn({ err: e, sessionId: chatId }, 'console: could not release a chat lock');
      });
    }
  }

  private async acquire(name: string): Promise<Lease> {
    // Real time, not the desk's Clock: this is a wait for another process, not a deadline.
    const giveUpAt = Date.now() + CHAT_LOCK_WAIT_MS;
    for (let delayMs = 2; ; delayMs = Math.min(delayMs * 2, 100)) {
      const lease = await this.store.acquireLease(name, this.owner, CHAT_LOCK_TTL_MS);
      if (lease) return lease;
      if (Date.now() >= giveUpAt) {
        throw new BridgeError(ErrorCode.StoreUnavailable, 'This chat is busy in another process; try again in a moment.', {
          retryable: true,
          status: 503,
          details: { lock: name },
        });
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs + Math.floor(Math.random() * delayMs)));
    }
  }
}
