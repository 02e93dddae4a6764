/**
 * Each web user's conversation as the page shows it: one list per user in the Store, so a
 * reload (or another tab, or another process) sees what was sent, including later card updates.
 *
 * Writes are read-modify-write of one value. Within a process they run one at a time per user;
 * across processes each write claims the next version number first (`Store.claim` is atomic), and
 * a writer that loses the claim re-reads and tries again, so two processes never overwrite each
 * other's entries.
 */
import { BridgeError, ErrorCode } from '../core/errors';
import { KeyedQueue } from '../core/keyed-queue';
import type { Store } from '../core/ports';
import type { ChatEntry } from './wire';

export interface LogValue {
  /** Bumped by every write; entries carry the version that last wrote them (`rev`). */
  version: number;
  entries: ChatEntry[];
}

export interface MessageLogOptions {
  ttlMs: number;
  /** Older entries are dropped: the page is a chat, not an archive (transcripts are the desk's). */
  maxEntries: number;
}

const logKey = (userId: string) => `web:log:${userId}`;
const versionKey = (userId: string, version: number) => `web:logv:${userId}:${version}`;

/** How long a version claim blocks others if its writer dies between claim and write. */
const CLAIM_TTL_MS = 10_000;
const MAX_ATTEMPTS = 12;

export class MessageLog {
  private readonly local = new KeyedQueue();

  constructor(
    private readonly store: Store,
    private readonly options: MessageLogOptions,
  ) {}

  async read(userId: string): Promise<LogValue> {
    return (await this.store.get<LogValue>(logKey(userId))) ?? { version: 0, entries: [] };
  }

  /**
   * Add the entry `build` makes for the new version, or nothing when it returns an existing
   * entry instead (a retried user message).
   */
  append(
    userId: string,
    build: (rev: number, log: LogValue) => { entry: ChatEntry; isNew: boolean },
  ): Promise<{ entry: ChatEntry; isNew: boolean }> {
    return this.mutate(userId, (log, rev) => {
      const made = build(rev, log);
      if (!made.isNew) return { result: made };
      const entries = [...log.entries, made.entry].slice(-this.options.maxEntries);
      return { entries, result: made };
    });
  }

  /** Replace entry `id` with what `change` makes of it; undefined when there is no such entry. */
  replace(userId: string, id: string, change: (entry: ChatEntry, rev: number) => ChatEntry): Promise<ChatEntry | undefined> {
    return this.mutate(userId, (log, rev) => {
      const index = log.entries.findIndex((e) => e.id === id);
      if (index < 0) return { result: undefined };
      const entries = [...log.entries];
      entries[index] = change(entries[index], rev);
      return { entries, result: entries[index] };
    });
  }

  private mutate<T>(userId: string, change: (log: LogValue, rev: number) => { entries?: ChatEntry[]; result: T }): Promise<T> {
    return this.local.run(userId, async () => {
      for (let attempt = 1; ; attempt++) {
        const log = await this.read(userId);
        const version = log.version + 1;
        const { entries, result } = change(log, version);
        if (!entries) return result;
        if (await this.store.claim(versionKey(userId, version), CLAIM_TTL_MS)) {
          await this.store.set<LogValue>(logKey(userId), { version, entries }, this.options.ttlMs);
          return result;
        }
        // Another process wrote version `version` first: build again on top of its write.
        if (attempt >= MAX_ATTEMPTS) {
          throw new BridgeError(ErrorCode.StoreUnavailable, 'the web chat log is busy; try again', { retryable: true });
        }
        await new Promise((r) => setTimeout(r, Math.min(10 * 2 ** attempt, 500)));
      }
    });
  }
}
