/**
 * What the core keeps per user: the `Conversation` (address, profile, recent history, last
 * utterance, live cards) and the agent session in it, if any, in one of its phases. Plain data,
 * stored as JSON by the broker (`conversations.ts`).
 */
import type { AgentInfo, Address, DetailsView, HistoryEntry, SentRef, SurfaceKind, UserProfile, WaitingView } from './ports';

/** A card the bot sent whose buttons may later need disabling. */
export interface TrackedCard<V> {
  view: V;
  /** Unset until the surface answered the send. */
  ref?: SentRef;
}

/**
 * What the session keeps of the request. The full description went to the desk with the chat;
 * keeping it (and the history) here too only cost memory per open session.
 */
export interface ChatRequestSummary {
  title: string;
  /** Not kept any more; sessions stored by older versions may still carry it. */
  details?: string;
  topic?: { id: string; label: string };
}

/**
 * The "waiting for an agent" card of a session: its ref and the estimate shown on it. The view
 * itself is rebuilt from the session when needed (`waitingCard`); sessions stored by older
 * versions may still carry a `view`, which is ignored.
 */
export interface WaitingCard {
  ref?: SentRef;
  estimatedWaitSeconds?: number;
  view?: WaitingView;
}

export type Session =
  | {
      phase: 'collecting';
      offerId: string;
      details: TrackedCard<DetailsView>;
      startedAt: number;
      /** Set when the problem was already described and the form asks only for the topic. */
      description?: string;
    }
  | {
      phase: 'queued';
      sessionId: string;
      request: ChatRequestSummary;
      waiting: WaitingCard;
      /** Whether the user was told their messages will wait for the agent. */
      queuedNoticeSent: boolean;
      /** Files the user sent in this chat so far (for the per-chat limit). */
      filesSent?: number;
      /** Our fallback queue timeout, epoch ms. */
      deadline: number;
      startedAt: number;
    }
  | {
      phase: 'live';
      sessionId: string;
      request: ChatRequestSummary;
      waiting: WaitingCard;
      agents: AgentInfo[];
      startedAt: number;
      joinedAt: number;
      filesSent?: number;
    };

/** A session with a chat open at the desk: waiting for an agent, or with one. */
export type OpenSession = Extract<Session, { phase: 'queued' | 'live' }>;

export interface Conversation {
  /** `surface:userId`, see `userKey`. */
  key: string;
  surface: SurfaceKind;
  profile: UserProfile;
  address: Address;
  history: HistoryEntry[];
  /** The last thing the user asked that the bot could not help with: the chat's description. */
  lastUtterance?: { text: string; at: number };
  /** The latest offer card, so its button can be disabled once used. */
  offer?: TrackedCard<{ offerId: string; message: string }>;
  /** Earlier offer cards whose Start button is still live (bounded), retired with the latest. */
  earlierOffers?: { offerId: string; ref: SentRef }[];
  session?: Session;
  /** Broadcasts delivered with their buttons disabled during a chat; restored when it ends. */
  heldBroadcasts?: { broadcastId: string; ref: SentRef }[];
}

/** A fresh conversation for a user the bot has not seen (or whose state expired). */
export function newConversation(key: string, user: { surface: SurfaceKind; profile: UserProfile; address: Address }): Conversation {
  return { key, surface: user.surface, profile: user.profile, address: user.address, history: [] };
}
