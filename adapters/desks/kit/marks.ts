/**
 * De-duplication marks: one Store key per thing seen (a user message relayed, a webhook payload
 * applied), claimed atomically so a retry or a redelivery is acted on once, in any process. Every
 * mark has a TTL: the window in which a retry can come, not the chat's life (a mark per message
 * kept for days is what bounded memory rules out). The default is the broker's own window.
 *
 * Keys are `<namespace>:<kind>:<part>:<part>…` (`console:seen:…`, `sn:sent:…`), so a desk's marks
 * of one kind can be counted or swept by prefix.
 */
import { DEDUPE_TTL_MS } from '../../../bots/core/conversations';
import type { Store } from '../../../bots/core/ports';

/** How long a per-message mark lasts unless a desk says otherwise: the broker's window. */
export const MESSAGE_MARK_TTL_MS = DEDUPE_TTL_MS;

export class MarkSet {
  /** The prefix of this set's keys, e.g. `sn:sent:`. */
  readonly prefix: string;

  constructor(
    private readonly store: Store,
    namespace: string,
    kind: string,
    private readonly ttlMs: number = MESSAGE_MARK_TTL_MS,
  ) {
    this.prefix = `${namespace}:${kind}:`;
  }

  key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  /** True the first time only (within the TTL), across processes. */
  claim(...parts: string[]): Promise<boolean> {
    return this.store.claim(this.key(...parts), this.ttlMs);
  }

  /** Forget a claim whose work did not happen, so the retry is not taken for a duplicate. */
  forget(...parts: string[]): Promise<void> {
    return this.store.delete(this.key(...parts));
  }

  /**
   * Do `work` once per mark: 'duplicate' (and nothing run) when claimed already; when `work`
   * fails the mark is forgotten (a failure to forget is ignored: it then lasts its TTL) and the
   * failure rethrown.
   */
  async once(parts: string[], work: () => Promise<void>): Promise<'done' | 'duplicate'> {
    if (!(await this.claim(...parts))) return 'duplicate';
    try {
      await work();
      return 'done';
    } catch (e) {
      await this.forget(...parts).catch(() => undefined);
      throw e;
    }
  }
}
