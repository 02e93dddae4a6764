/**
 * What goes into and comes out of `transition`: the events it takes (a user's, a desk's, the
 * broker's own follow-ups) and the effects it asks the broker to run, in order.
 */
import type { AgentInfo, DeskEvent, EndReason, OpenChatRequest, OutboundContent, SentRef, UserMessage } from './ports';
import type { UserEvent } from './events';
import type { CoreSettings } from './settings';
import type { Conversation } from './session-state';

/** Which tracked card a send fills in, so the broker can hand back the platform's message ref. */
export type CardSlot = 'offer' | 'details' | 'waiting';

export type Effect =
  /** Send to the user. With `track`, the broker feeds the resulting ref back as `cardSent`. */
  | { type: 'send'; content: OutboundContent; track?: { slot: CardSlot; id: string } }
  /** Replace an earlier message (disable a card's buttons). */
  | { type: 'update'; ref: SentRef; content: OutboundContent }
  | { type: 'userTyping'; agent?: AgentInfo }
  /**
   * Evaluate the offer policy, then send the offer card (tracked in the `offer` slot): with
   * `message` when the button shows, with `unavailableMessage` (and the reason) when it is hidden.
   */
  | { type: 'offer'; offerId: string; message: string; unavailableMessage: string }
  | { type: 'deskOpen'; request: OpenChatRequest }
  | { type: 'deskSend'; sessionId: string; message: UserMessage }
  | { type: 'deskTyping'; sessionId: string }
  | { type: 'deskEnd'; sessionId: string; reason: EndReason }
  | { type: 'startTimer'; sessionId: string; at: number }
  | { type: 'cancelTimer'; sessionId: string }
  /** Put the buttons back on broadcasts that arrived during the chat that just ended. */
  | { type: 'releaseBroadcasts'; items: { broadcastId: string; ref: SentRef }[] }
  /** Keep the user's answer to a broadcast. */
  | { type: 'recordBroadcastAnswer'; broadcastId: string; index: number; source?: SentRef };

/** Events the broker feeds back from its own work (not from users or desks). */
export type InternalEvent =
  | { type: 'cardSent'; slot: CardSlot; id: string; ref: SentRef }
  /** Policy hid the offer's button: what the user read instead (for the history and the card). */
  | { type: 'offerHidden'; offerId: string; message: string; reason?: string }
  | { type: 'queueTimeout'; sessionId: string }
  | { type: 'deskOpenFailed'; sessionId: string }
  | { type: 'deskSendFailed'; sessionId: string; messageId: string }
  /** A broadcast reached the user; `held` when its buttons were disabled for a chat. */
  | { type: 'broadcastDelivered'; broadcastId: string; ref: SentRef; held: boolean }
  /** A file could not be relayed (too big once downloaded, download failed). */
  | { type: 'fileRefused'; sessionId: string; name: string; reason: string };

export type CoreEvent =
  | { source: 'user'; event: UserEvent }
  | { source: 'desk'; event: DeskEvent }
  | { source: 'internal'; event: InternalEvent };

export type MessageEvent = Extract<UserEvent, { type: 'message' }>;

export interface TransitionContext {
  now: number;
  settings: CoreSettings;
  /** A fresh unique id (session and offer ids). */
  newId: () => string;
}

export interface TransitionResult {
  state: Conversation;
  effects: Effect[];
}

/**
 * Effects that applying the same entry again to the state before it would reproduce as they are:
 * a relayed message (its id and text come from the event) and typing. For these the outbox is
 * not written: a takeover re-applies the entry, which the outbox would have spared only when
 * the transition drew new ids or took decisions worth keeping. The window is the same either
 * way (effects that ran but were not recorded run once more, and desks drop the copy by id).
 */
export function replayable(effects: Effect[]): boolean {
  return effects.every(
    (e) => e.type === 'deskSend' || e.type === 'deskTyping' || e.type === 'userTyping' || (e.type === 'send' && !e.track),
  );
}
