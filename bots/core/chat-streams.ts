/**
 * The companion port of desks that hold one long-lived connection per chat (Amazon Connect: a
 * WebSocket per contact; Salesforce MIAW: an SSE stream per conversation). Such a desk is a
 * `Desk` as usual (open, send, end over the vendor's REST API) plus `openStream`; it does not
 * decide *where* a chat's connection runs. The core's `ChatStreamOwner`
 * (`chat-stream-owner.ts`) does: exactly one process holds a chat's connection, under the
 * Store lease `stream:<desk>:<sessionId>`, and another process takes it over when that one dies,
 * resuming from the cursor the owner persisted.
 *
 * What a stream desk promises:
 * - `openStream(sessionId, cursor, events)` connects the chat's stream and resolves once it is
 *   connected. It then reports, through `events.event`, every event that came after `cursor`
 *   first (the vendor's replay: `Last-Event-Id`, a transcript read from that position) and then
 *   the live ones, in the vendor's order, each with the cursor that resumes right after it (a
 *   last event id, a transcript item id). `cursor` undefined means from the chat's beginning.
 *   Anything the desk needs to connect (vendor chat id, participant token) it keeps in the Store
 *   itself at `openChat`, since any process may be the one that opens the stream.
 * - Replays may overlap what was already delivered (the owner persists a cursor after delivering,
 *   so a crash in between replays that event): agent and system messages need stable
 *   `messageId`s, which the broker de-duplicates; the other events are idempotent in the core.
 * - Items that map to no event (echoes of our own messages, receipts) need not be reported: a
 *   resume replays and filters them again.
 * - When the connection ends by itself (network, vendor close, token expiry), the desk calls
 *   `events.dropped()` once; the owner reopens it from the last cursor. After `close()`
 *   resolves, the desk calls nothing more on that stream's `events`.
 * - `openStream` rejects with `BridgeError('unknown_session')` when the vendor no longer knows the
 *   chat (the owner then forgets it and tells the core the chat ended); any other rejection is
 *   retried with a backoff while the owner holds the chat.
 * - Events of a streamed chat go to `events`, not to the sink given to `start` (that one stays
 *   for events a desk gets otherwise, e.g. webhooks).
 */
import type { Desk, DeskEvent } from './ports';

/** Where a chat's stream reports. Implemented by the owner, one per opened connection. */
export interface ChatStreamEvents {
  /**
   * Report one event and, when it has one, the cursor that resumes after it. Call in the vendor's
   * order (the owner handles one at a time, in call order; no need to wait between calls).
   * Resolves once the event was handled and the cursor persisted: true when it reached the core,
   * false when not (the user could not be reached, or this process no longer owns the chat), so
   * a desk that can tell its agent "not delivered" may. Never rejects. The cursor moves on
   * either way: a resume does not replay what this owner handled.
   */
  event(event: DeskEvent, cursor?: string): Promise<boolean>;
  /** The connection ended without `close()`: the owner reopens it from the last cursor. */
  dropped(reason?: unknown): void;
}

/** An open connection of one chat. */
export interface ChatStream {
  /** Close the connection; resolves once no more events will be reported from it. Idempotent. */
  close(): Promise<void>;
}

/** A desk with one long-lived connection per chat (see the file header for the contract). */
export interface StreamDesk extends Desk {
  openStream(sessionId: string, cursor: string | undefined, events: ChatStreamEvents): Promise<ChatStream>;
}

export function isStreamDesk(desk: Desk): desk is StreamDesk {
  return typeof (desk as Partial<StreamDesk>).openStream === 'function';
}

/** Timings of stream ownership; see `docs/stream-desks.md` for why they fit 15 s. */
export interface StreamTimings {
  /** The lease on a chat's connection: renewed every third of it while the owner lives. */
  leaseTtlMs: number;
  /** How often every process looks for open chats whose lease is free (their owner died). */
  scanIntervalMs: number;
  /** First wait before reopening a dropped connection; doubles per failure up to the max. */
  reopenDelayMs: number;
  maxReopenDelayMs: number;
  /** How long a chat's registry entry and cursor live without the chat ending (a bound, not a goal). */
  chatTtlMs: number;
}

/**
 * Worst case from an owner's death to a survivor's open: the lease runs out (at most
 * `leaseTtlMs` after its last renewal) and a scan comes (at most `scanIntervalMs` later), plus
 * the connect: 8 + 3 s and the connection time, inside the 15 s promised.
 */
export const DEFAULT_STREAM_TIMINGS: StreamTimings = {
  leaseTtlMs: 8000,
  scanIntervalMs: 3000,
  reopenDelayMs: 1000,
  maxReopenDelayMs: 10_000,
  chatTtlMs: 48 * 60 * 60 * 1000,
};

/** Store keys of stream ownership, per desk name and session. */
export const streamKeys = {
  lease: (desk: string, sessionId: string) => `stream:${desk}:${sessionId}`,
  cursor: (desk: string, sessionId: string) => `stream:${desk}:${sessionId}:cursor`,
  /** The open chats of a desk, in a few buckets (`stream-registry.ts`). */
  registry: (desk: string, bucket: number) => `streams:${desk}:${bucket}`,
};
