/**
 * The `Desk` port: what the core asks of a live-agent system and the events a desk reports back.
 * One implementation per vendor in `adapters/desks/<system>/` (docs/add-a-desk.md). Kept apart
 * from `ports.ts`, which re-exports it.
 */
import type { SurfaceKind, UserProfile, AgentInfo, FileRef, HistoryEntry } from './ports';

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
