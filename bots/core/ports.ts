/**
 * The ports of the core: what the core needs from the outside world, and the normalized
 * values that cross those ports. Nothing here names a platform SDK, a vendor or HTTP.
 *
 * - `Surface`: a chat platform the employee uses (Teams, Slack, web).
 * - `Desk`: a live-agent system the agent uses (built-in console, ServiceNow, ...).
 * - `Store`: key/value state with TTLs (keyv: memory or Redis).
 * - `Clock`: time and timers, injected so tests control them.
 */

/** The chat platforms a user can reach the bot from. Sessions are scoped per surface. */
export type SurfaceKind = 'teams' | 'slack' | 'web';

/**
 * An opaque, JSON-serializable value a surface needs to reach a user proactively
 * (a Teams conversation reference, a Slack channel id, a web chat id). The core stores it
 * and hands it back; it never looks inside.
 */
export type Address = { readonly [key: string]: unknown };

/** An opaque, JSON-serializable handle to a message a surface sent, so it can be updated later. */
export type SentRef = { readonly [key: string]: unknown };

/** Who the employee is, as far as the surface can tell. */
export interface UserProfile {
  /** The surface's stable user id (Teams AAD object id or `29:` id, Slack `U…`). */
  id: string;
  name: string;
  email?: string;
  /** BCP 47 locale such as `en-US`, when the surface tells it. */
  locale?: string;
  /** IANA time zone such as `America/Los_Angeles`, when the surface tells it. */
  timeZone?: string;
}

/** An agent as the desk describes them. */
export interface AgentInfo {
  id: string;
  name: string;
  avatarUrl?: string;
}

/**
 * A file crossing the bridge.
 *
 * From a surface: `url` and `handle` say where the platform keeps it (the surface's `download`
 * knows how to fetch it with the platform's credentials). Before it reaches a desk the broker
 * downloads it into the FileVault, so the desk gets a bridge URL (`url`) and the bytes (`content`).
 * From a desk: `url` (a bridge or vendor URL) and/or `content`; the broker fills `content` for
 * vault files so surfaces that must upload bytes (Slack) have them.
 */
export interface FileRef {
  name: string;
  contentType: string;
  /** Bytes, when known before download. */
  size?: number;
  url?: string;
  content?: Uint8Array;
  /** Opaque, JSON-serializable data the owning surface needs to download (e.g. a Slack file id). */
  handle?: { readonly [key: string]: unknown };
}

/** One entry of the recent-conversation ring passed to agents. */
export interface HistoryEntry {
  from: 'user' | 'bot';
  text: string;
  /** Epoch milliseconds. */
  at: number;
}

// ---------------------------------------------------------------------------------------------
// What the core sends to users: neutral view models, rendered per surface by `cards/`.
// ---------------------------------------------------------------------------------------------

/** A line shown instead of a card's buttons once they no longer apply ("Chat started"). */
export interface CardStatus {
  text: string;
}

/** The "Start agent chat" offer. */
export interface OfferView {
  type: 'offer';
  offerId: string;
  /** What the bot says above the button. */
  message: string;
  /** Whether the Start button is shown (policy). */
  showButton: boolean;
  /** Why the button is hidden, e.g. "Agents are available Mon–Fri 08:00–17:00 PT". */
  hiddenReason?: string;
  /** A fallback the user can follow when no agent chat is possible. */
  fallback?: { label: string; url: string };
  /** Set once the card's buttons no longer apply; renderers drop the actions and show this. */
  status?: CardStatus;
}

/** The "tell us more" form shown before queueing when the user gave no description yet. */
export interface DetailsView {
  type: 'details';
  offerId: string;
  prompt: string;
  topics: { id: string; label: string }[];
  /** Whether a topic must be chosen (only when topics are configured). */
  topicRequired: boolean;
  /**
   * The problem is already described: the form asks only for the (required) topic, and its
   * submission carries no description. Renderers leave the description input out.
   */
  topicOnly?: boolean;
  status?: CardStatus;
}

/** Shown while queued; carries the Cancel button. */
export interface WaitingView {
  type: 'waiting';
  sessionId: string;
  title: string;
  /** Estimated wait in seconds when the desk gives one. */
  estimatedWaitSeconds?: number;
  status?: CardStatus;
}

/** An agent message rendered as a card with the agent's avatar (optional attribution style). */
export interface AgentMessageView {
  type: 'agentMessage';
  agent: AgentInfo;
  text: string;
}

/** A button on a broadcast: open a link, or answer (recorded with the broadcast). */
export type BroadcastAction = { kind: 'url'; title: string; url: string } | { kind: 'data'; title: string; index: number };

/** A notification sent through the broadcast API. */
export interface BroadcastView {
  type: 'broadcast';
  broadcastId: string;
  title: string;
  text: string;
  imageUrl?: string;
  facts?: { title: string; value: string }[];
  actions: BroadcastAction[];
  /**
   * Set while the user is queued for or chatting with an agent: renderers show no buttons and
   * this note instead. The message is updated with its buttons back when the chat ends.
   */
  disabledNote?: string;
  /** Set once answered: renderers show it instead of the buttons. */
  status?: CardStatus;
}

export type CardView = OfferView | DetailsView | WaitingView | AgentMessageView | BroadcastView;

/** What the core asks a surface to show. */
export type OutboundContent =
  | {
      kind: 'text';
      text: string;
      /** Set for agent messages: surfaces attribute the message to this agent. */
      from?: AgentInfo;
      /** Files to deliver with the message (agent to user). */
      files?: FileRef[];
    }
  | { kind: 'card'; view: CardView };

/** The error a surface throws when a send cannot be delivered even after its retries. */
export interface SurfaceSendFailure {
  retryable: boolean;
  status?: number;
}

/**
 * A chat platform. Implementations live in `bots/teams`, `bots/slack`, `bots/web`.
 * Every method may be called from any process: it gets everything it needs from `address`.
 */
export interface Surface {
  readonly kind: SurfaceKind;
  /** Send to the user; resolves with a handle that `update` accepts. */
  send(address: Address, content: OutboundContent): Promise<SentRef>;
  /** Replace a message the bot sent earlier (used to disable card buttons). */
  update(address: Address, ref: SentRef, content: OutboundContent): Promise<void>;
  /** Show the agent is typing, where the platform supports it (`agent` when the desk says who). */
  sendTyping?(address: Address, agent?: AgentInfo): Promise<void>;
  /**
   * Fetch a file the user shared, with the platform's credentials. At most `maxBytes` are read:
   * a larger file throws `BridgeError('file_rejected')` without being downloaded whole.
   */
  download?(address: Address, file: FileRef, maxBytes: number): Promise<Uint8Array>;
}

// ---------------------------------------------------------------------------------------------
// Desks
// ---------------------------------------------------------------------------------------------

export interface Availability {
  available: boolean;
  /** Agents online, when the desk can count them. */
  agentsOnline?: number;
}

/** Everything a desk needs to queue a chat. */
export interface OpenChatRequest {
  /** Our session id; desks report events with it. */
  sessionId: string;
  surface: SurfaceKind;
  user: UserProfile;
  /** The main utterance: shown to agents as the chat's title. */
  title: string;
  details: string;
  topic?: { id: string; label: string };
  /** Routing context: language, region, and custom keys from config. */
  routing: Record<string, string>;
  history: HistoryEntry[];
  /**
   * The same history as plain text, one `[2026-12-04 10:02 UTC] User: ...` line per entry, cut
   * to `bot.history.maxTextBytes` keeping the newest lines (see `historyText` in history.ts): for
   * desks that show no structured history. Absent when there is none.
   */
  historyText?: string;
}

export interface UserMessage {
  /** A stable id for de-duplication at the desk. */
  messageId: string;
  text: string;
  files?: FileRef[];
  at: number;
}

export type EndReason =
  | 'user_stopped' // the user typed a stop phrase
  | 'user_cancelled' // the user pressed Cancel while queued
  | 'agent_ended' // the agent closed the chat in their console
  | 'queue_timeout' // nobody accepted in time (ours or the desk's)
  | 'desk_error'; // the desk failed and the chat cannot go on

/** Events a desk reports about a chat. */
export type DeskEvent =
  | { type: 'queued'; sessionId: string; position?: number; estimatedWaitSeconds?: number }
  | { type: 'agentJoined'; sessionId: string; agent: AgentInfo }
  | { type: 'agentLeft'; sessionId: string; agent: AgentInfo }
  | {
      type: 'agentMessage';
      sessionId: string;
      agent: AgentInfo;
      messageId: string;
      text: string;
      files?: FileRef[];
    }
  /** A desk/system message: shown without agent attribution. */
  | { type: 'systemMessage'; sessionId: string; messageId: string; text: string }
  | { type: 'typing'; sessionId: string; agent?: AgentInfo; on: boolean }
  | { type: 'ended'; sessionId: string; reason: 'agent_ended' | 'queue_timeout' | 'desk_error'; message?: string };

/** Where desks report events. The broker implements it. */
export type DeskEventSink = (event: DeskEvent) => Promise<void>;

/**
 * A live-agent system. One implementation per vendor in `adapters/desks/<system>/`.
 * HTTP routes a desk needs (webhooks, console API) are mounted by the composition root, not here.
 */
export interface Desk {
  /** Stable name used in config and logs (`console`, `servicenow`, ...). */
  readonly name: string;
  /** Called once before use; the desk reports events to `sink` from then on. */
  start(sink: DeskEventSink): Promise<void>;
  /** Close streams and timers. */
  stop(): Promise<void>;
  checkAvailability(): Promise<Availability>;
  /** Queue a chat. Throws a `BridgeError` with code `desk_unavailable` when it cannot. */
  openChat(request: OpenChatRequest): Promise<void>;
  /** Relay a user message (also while queued: the desk keeps it for the agent). */
  sendMessage(sessionId: string, message: UserMessage): Promise<void>;
  sendTyping?(sessionId: string): Promise<void>;
  /** End the chat from our side (user stopped or cancelled, our timeout). */
  endChat(sessionId: string, reason: EndReason): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Store and clock
// ---------------------------------------------------------------------------------------------

/**
 * Key/value state. Values are JSON-serializable. Every write carries a TTL so nothing lives
 * forever. Implementations: `adapters/store` (keyv memory, keyv Redis).
 */
/** The lease `Store.appendIfNew` tries to take with its append. */
export interface TakeLease {
  name: string;
  owner: string;
  ttlMs: number;
}

export interface AppendResult<T> {
  appended: boolean;
  /** With `take`: the lease when it was won, and then the list's entries, oldest first. */
  lease?: Lease;
  entries?: T[];
}

/** What `Store.settleHead` does besides removing nothing. */
export interface SettleOptions {
  /** Remove the list's head if it is the entry with this id. */
  headId?: string;
  /** Values to write first, as `set` would. */
  writes?: { key: string; value: unknown; ttlMs: number }[];
  /** Release the lease when the list is empty afterwards. */
  release?: boolean;
}

export interface SettleResult {
  /** The list's length afterwards. */
  remaining: number;
  released: boolean;
}

export interface Store {
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Atomically set `key` only if it is absent. Resolves true when this call created it.
   * Used for de-duplication across processes.
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /**
   * Append `value` at the end of the list stored at `key` (a new list when there is none) and
   * set the whole list's TTL to `ttlMs`, so a list lives as long as its latest append says.
   * Resolves with the list's length after the append. Atomic, also across processes: concurrent
   * appends all land, each once. Its cost does not grow with the list, unlike reading a value,
   * adding to it and writing it back; use it for logs that only grow (a chat's messages).
   *
   * A key holds either a value (`get`/`set`/`claim`) or a list (`append`/`list`). `delete`,
   * `keys` and expiry treat both alike, and `set` replaces a list like any value; reading or
   * appending to a key as the other kind is a caller error (a `TypeError`, not an outage).
   */
  append<T>(key: string, value: T, ttlMs: number): Promise<number>;
  /** Every value appended to `key`, oldest first, as fresh copies; `[]` when there is no list. */
  list<T>(key: string): Promise<T[]>;
  /** Keys that start with `prefix` (for start-up sweeps; not for hot paths). */
  keys(prefix: string): Promise<string[]>;

  // Ownership across processes: leases with fencing tokens (see `Lease`). A lease lives at key
  // `name` like any value (`keys` lists it, `delete` drops it and its token count); read it with
  // `leaseHolder`, change it only with the lease calls. Atomic on both engines; on Redis the
  // lease's time is Redis's own clock, so process clocks need not agree.

  /**
   * Take the lease `name` for `ttlMs` unless someone (`owner` included) holds it. Resolves the
   * lease with a fencing token, a number that strictly increases with every acquisition of
   * `name` across processes; undefined while it is held. An expired lease is free to take.
   */
  acquireLease(name: string, owner: string, ttlMs: number): Promise<Lease | undefined>;
  /** Extend a lease still held with this owner and token to `ttlMs` from now; false once lost. */
  renewLease(name: string, owner: string, token: number, ttlMs: number): Promise<boolean>;
  /** Give a lease up (free at once for the next `acquireLease`); false when it was lost already. */
  releaseLease(name: string, owner: string, token: number): Promise<boolean>;
  /** Who holds the lease now; undefined when nobody does (never taken, released or expired). */
  leaseHolder(name: string): Promise<LeaseHolder | undefined>;
  /**
   * `set`, only while `lease` is held with its token: false (and nothing written) once the lease
   * is lost, so a stale owner cannot overwrite what the new owner writes. On Redis Cluster the
   * lease and `key` must share a hash slot.
   */
  setIfLeaseHeld<T>(lease: Lease, key: string, value: T, ttlMs: number): Promise<boolean>;
  /** `claim`, only while `lease` is held with its token: `lost` (and nothing written) once lost; same slot rule. */
  claimIfLeaseHeld(lease: Lease, key: string, ttlMs: number): Promise<'claimed' | 'taken' | 'lost'>;

  // Inboxes: a list of entries (objects whose first property is a string `id`) that processes
  // append to and the holder of a lease consumes head-first (the broker's per-user inbox).

  /**
   * In one atomic step: `claim` every key of `marks` (each for `markTtlMs`) and, when all of them
   * were new, `append` `value` to the list `listKey` (TTL `listTtlMs`) and, with `take`, try to
   * acquire that lease (as `acquireLease`) and, when it is won, read the whole list. `appended`
   * false when any mark was there already: then nothing is appended and no lease taken (the other
   * marks are claimed all the same, as separate `claim` calls would). The value must be an object
   * whose first property is `id`. On Redis Cluster the list and the lease must share a hash slot.
   */
  appendIfNew<T extends { id: string }>(
    marks: string[],
    markTtlMs: number,
    listKey: string,
    value: T,
    listTtlMs: number,
    take?: TakeLease,
  ): Promise<AppendResult<T>>;
  /**
   * Under `lease` (fenced like `setIfLeaseHeld`), in one atomic step: write each of `writes`;
   * remove the head of the list `listKey` when it is the entry `headId`; then, with `release`,
   * release the lease if the list is empty. `lost` (nothing done) once the lease is lost; else the
   * list's length afterwards and whether the lease was released. On Redis Cluster the lease, the
   * list and the written keys must share a hash slot.
   */
  settleHead(lease: Lease, listKey: string, options: SettleOptions): Promise<SettleResult | 'lost'>;

  // Compare-and-set. A value's version counts `setVersioned` writes: 1 after the first, and back
  // to absent when the key expires or is deleted. A plain `set` makes it unversioned again
  // (version 0), so do not mix the two on one key. `get` reads a versioned value like any other.

  /** The value with its version; undefined when absent (a `set` value has version 0). */
  getVersioned<T>(key: string): Promise<Versioned<T> | undefined>;
  /**
   * Write `value` (version `expectedVersion + 1`) only if the key is still at `expectedVersion`
   * (0: absent or unversioned). False when another write came first: read again and retry (see
   * `updateVersioned` in `bots/core/versioned.ts`).
   */
  setVersioned<T>(key: string, value: T, expectedVersion: number, ttlMs: number): Promise<boolean>;

  // Pub/sub for live views across processes. At most once and not kept: a subscriber that is
  // not connected when a message is published misses it, so keep the truth in the store and
  // publish what changed. Channels are namespaced like keys.

  /** Send a JSON value to every subscriber of `channel`, in every process on the same store. */
  publish<T>(channel: string, message: T): Promise<void>;
  /**
   * Call `handler` with a fresh copy of every message published on `channel` from now on (the
   * subscription is active when this resolves), in publish order, never inside `publish`. A
   * handler that throws or rejects is logged and does not stop the others. Resolves a function
   * that ends this subscription.
   */
  subscribe<T>(channel: string, handler: (message: T) => void | Promise<void>): Promise<() => Promise<void>>;
  /** Whether the backing store answers (readiness). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** A lease as its holder knows it: pass it back to renew, release, or fence writes. */
export interface Lease {
  name: string;
  owner: string;
  /** Fencing token: larger for every later acquisition of `name`. */
  token: number;
}

/** The current holder of a lease. */
export interface LeaseHolder {
  owner: string;
  token: number;
}

/** A value read with its version, for `setVersioned`. */
export interface Versioned<T> {
  value: T;
  /** 1 and up for `setVersioned` writes; 0 for a value written with `set`. */
  version: number;
}

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Run `fn` after `ms`. Errors are the caller's to handle inside `fn`. */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

/** Structured logger (pino-compatible subset) so the core does not import pino. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
