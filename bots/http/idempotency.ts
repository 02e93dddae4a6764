/**
 * `Idempotency-Key` for API calls that must not be done twice (an agent's message: a console that
 * resends after a failed POST would otherwise send the user the same message twice).
 *
 * - The first request with a key does the work; its answer (status and body) is kept in the Store
 *   under the key for `ANSWER_TTL_MS` (10 minutes: a resend comes within seconds, and marks per
 *   message must not outlive 15 minutes), so it holds across processes on Redis.
 * - A repeat with the same key and the same request gets that answer again, with
 *   `Idempotent-Replayed: true`, and nothing is done again.
 * - A repeat while the first is still being worked on gets 409 (try again in a moment): waiting
 *   for it would hold a request open for as long as a slow delivery takes. The in-flight mark
 *   lapses after `IN_FLIGHT_TTL_MS`, so a process that died mid-request does not block the key.
 * - The same key with a different request gets 422: a key names one request (as Stripe does).
 * - A refusal that changed nothing (a 4xx: not joined, chat ended, ...) is not kept, so the same
 *   request may be tried again once its cause is fixed. Other failures (5xx) are kept like
 *   answers: the work may have been done (e.g. a message stored but not delivered, 502). Except
 *   the store being unreachable (503): kept, that answer would be replayed to every retry, and
 *   no retry could ever succeed; the broker's own marks say whether the work was done.
 *
 * Keys are 1-255 printable ASCII characters without spaces (a UUID fits); they are scoped by the
 * caller (agent and chat), and kept hashed.
 */
import { createHash } from 'node:crypto';
import { BridgeError, ErrorCode, isBridgeError } from '../core/errors';
import type { Logger, Store } from '../core/ports';
import { errorAnswer, statusOf } from './errors';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const ANSWER_TTL_MS = 10 * 60 * 1000;
export const IN_FLIGHT_TTL_MS = 60 * 1000;
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;
const PREFIX = 'idem:';

export interface Answer {
  status: number;
  body: unknown;
}

/** What is kept per key once the first request has its answer (`true` while it is in flight). */
interface KeptAnswer {
  request: string;
  answer: Answer;
}

/** The `Idempotency-Key` header, or undefined when none was sent; a malformed one is a 400. */
export function idempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header === 'string' && KEY_FORMAT.test(header)) return header;
  throw new BridgeError(
    ErrorCode.BadRequest,
    'Idempotency-Key must be 1-255 printable ASCII characters without spaces (a UUID, for example).',
  );
}

/** A stable digest of what a request asks for, to tell a repeat from a different request. */
export function fingerprint(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('base64url');
}

export class IdempotentAnswers {
  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly ttlMs = ANSWER_TTL_MS,
  ) {}

  /**
   * The answer to the request `request` (a fingerprint) under `key` within `scope`: the one kept
   * from the first time, or `work()`'s (a thrown error is answered as the API's error handler would).
   */
  async once(scope: readonly string[], key: string, request: string, work: () => Promise<Answer>): Promise<Answer & { replayed: boolean }> {
    const storeKey =
      PREFIX +
      createHash('sha256')
        .update(JSON.stringify([...scope, key]))
        .digest('base64url');
    // Twice at most: a kept answer may expire between the failed claim and the read.
    for (let attempt = 0; ; attempt++) {
      if (await this.store.claim(storeKey, IN_FLIGHT_TTL_MS)) return { ...(await this.first(storeKey, request, work)), replayed: false };
      const kept = await this.store.get<KeptAnswer | true>(storeKey);
      if (kept === undefined && attempt === 0) continue;
      if (kept === undefined || kept === true) {
        throw new BridgeError(ErrorCode.Conflict, 'A request with this Idempotency-Key is still being processed. Try again in a moment.');
      }
      if (kept.request !== request) {
        throw new BridgeError(
          ErrorCode.Conflict,
          'This Idempotency-Key was already used for a different request. Use a new key for a new request.',
          {
            status: 422,
          },
        );
      }
      return { ...kept.answer, replayed: true };
    }
  }

  private async first(storeKey: string, request: string, work: () => Promise<Answer>): Promise<Answer> {
    let answer: Answer;
    let failure: unknown;
    try {
      answer = await work();
    } catch (e) {
      if (isBridgeError(e) && (statusOf(e) < 500 || e.code === ErrorCode.StoreUnavailable)) {
        // Nothing was done (or the store cannot say): the same request may come again once its cause is fixed.
        await this.store.delete(storeKey).catch(() => undefined);
        throw e;
      }
      failure = e;
      answer = errorAnswer(e);
    }
    try {
      await this.store.set<KeptAnswer>(storeKey, { request, answer }, this.ttlMs);
    } catch (e) {
      // The answer still goes out; a repeat within IN_FLIGHT_TTL_MS gets 409 instead of it.
      this.logger.warn({ err: e }, 'idempotency: the answer could not be kept');
    }
    if (failure !== undefined) throw failure;
    return answer;
  }
}
