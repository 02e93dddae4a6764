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
// Desks (in desk-port.ts), Store (in store-port.ts) and clock
// ---------------------------------------------------------------------------------------------

export type {
  DeskRoutingContext,
  Availability,
  OpenChatRequest,
  UserMessage,
  EndReason,
  DeskEvent,
  DeskEventSink,
  Desk,
} from './desk-port';

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
