/**
 * The ports of the core: what the core needs from the outside world, and the normalized
 * values that cross those ports. Nothing here names a platform SDK, a vendor or HTTP.
 *
 * - `Surface`: a chat platform the employee uses (Teams, Slack, web).
 * - `Desk`: a live-agent system the agent uses (the built-in console, a vendor's desk).
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
  /**
   * What the surface vouches for about the user besides the above (the web token's `attributes`,
   * e.g. `department: hr`): desk routing rules may match them (`routing[].when.attributes`).
   */
  attributes?: Record<string, string>;
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

/**
 * Which chat a desk question is about, as desk routing rules see it (desk-routing.ts). At the
 * offer the topic is not chosen yet, so rules on topics do not apply there.
 */
export interface DeskRoutingContext {
  topic?: string;
  surface?: SurfaceKind;
  /** Attribute name -> value (`locale`, `language`, `region`, ...); compared without regard to case. */
  attributes: Record<string, string>;
}

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

/**
 * Where desks report events. The broker implements it. A report settles once the event reached
 * the user, or rejects (`surface_send_failed`) so the desk can tell the agent and retry with the
 * same `messageId`; except one made inside a call the broker is making for that chat (`openChat`,
 * `sendMessage`, `sendTyping`, `endChat`, before it returns), which settles once queued: the chat's
 * events apply in order after the call, so a desk may await it there without waiting on itself.
 */
export type DeskEventSink = (event: DeskEvent) => Promise<void>;

/**
 * A live-agent system. One implementation per vendor in `adapters/desks/<system>/`.
 * HTTP routes a desk needs (webhooks, console API) are mounted by the composition root, not here.
 */
export interface Desk {
  /** Stable name used in config and logs (the system's name, e.g. `console`). */
  readonly name: string;
  /**
   * True when `checkAvailability` answers differently by its context (a router over several
   * desks): its answers are then cached per context. Absent: one answer serves every chat.
   */
  readonly availabilityByContext?: boolean;
  /** Called once before use; the desk reports events to `sink` from then on. */
  start(sink: DeskEventSink): Promise<void>;
  /** Close streams and timers. */
  stop(): Promise<void>;
  /**
   * Whether agents can take a chat now. `context` says which chat it would be (surface, user
   * attributes, topic when known): a desk that routes between desks answers for the desk that
   * chat would go to; a single desk may ignore it.
   */
  checkAvailability(context?: DeskRoutingContext): Promise<Availability>;
  /** Queue a chat. Throws a `BridgeError` with code `desk_unavailable` when it cannot. */
  openChat(request: OpenChatRequest): Promise<void>;
  /** Relay a user message (also while queued: the desk keeps it for the agent). */
  sendMessage(sessionId: string, message: UserMessage): Promise<void>;
  sendTyping?(sessionId: string): Promise<void>;
  /** End the chat from our side (user stopped or cancelled, our timeout). */
  endChat(sessionId: string, reason: EndReason): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Store (in store-port.ts) and clock
// ---------------------------------------------------------------------------------------------

export type { AppendResult, Lease, LeaseHolder, SettleOptions, SettleResult, Store, TakeLease, Versioned } from './store-port';

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
