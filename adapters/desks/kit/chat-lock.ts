/**
 * One writer per chat across processes: a Store lease per chat (`<namespace>:lock:<id>`), taken
 * around each read-modify-write of the chat's record and released after. Within a process the
 * repository's queue already runs a chat's writes one at a time, so only writers in other
 * processes ever wait here; the memory store (one process) always finds the lease free.
 *
 * The lease is renewed while a write runs (`LeaseKeeper`), so a slow one (a large file into the
 * vault) keeps it. A process that dies while holding a chat's lease blocks that chat's writes
 * until the lease expires (`CHAT_LOCK_TTL_MS`); a write waits at most `CHAT_LOCK_WAIT_MS` for it,
 * then fails with a retryable 503 (callers and the doors retry).
 */
import { randomUUID } from 'node:crypto';
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import { LeaseKeeper } from '../../../bots/core/lease-keeper';
import type { Clock, Logger, Store } from '../../../bots/core/ports';

/** Far above one write; renewed every third of it while a write runs. */
export const CHAT_LOCK_TTL_MS = 15_000;
/** Longest wait for another process's write of the same chat. */
export const CHAT_LOCK_WAIT_MS = 15_000;

export interface ChatLockDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
}

export class ChatLocks {
  /** This process's name on the leases (random: two desks in one process are two writers). */
  readonly owner: string;
  /** The prefix of the lease names, e.g. `console:lock:`. */
  readonly prefix: string;

  constructor(
    private readonly deps: ChatLockDeps,
    namespace: string,
    private readonly waitMs = CHAT_LOCK_WAIT_MS,
  ) {
    this.owner = `${namespace}-${randomUUID()}`;
    this.prefix = `${namespace}:lock:`;
  }

  /** Run `write` holding chat `chatId`'s lease. */
  async hold<T>(chatId: string, write: () => Promise<T>): Promise<T> {
    const keeper = await this.acquire(this.prefix + chatId);
    try {
      return await write();
    } finally {
      // A failed release is logged by the keeper; the lease then expires by itself.
      await keeper.release();
    }
  }

  private async acquire(name: string): Promise<LeaseKeeper> {
    // Real time, not the desk's Clock: this is a wait for another process, not a deadline.
    const giveUpAt = Date.now() + this.waitMs;
    for (let delayMs = 2; ; delayMs = Math.min(delayMs * 2, 100)) {
      const keeper = await LeaseKeeper.acquire(this.deps, name, this.owner, CHAT_LOCK_TTL_MS);
      if (keeper) return keeper;
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
