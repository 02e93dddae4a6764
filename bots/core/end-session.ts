/**
 * Ending an agent session, whoever ends it: the user is told once, in one message, why it ended;
 * the waiting card above (still saying "Waiting…" or "Connected to Beth") is updated to the end.
 */
import type { EndReason } from './ports';
import { disableCard, fillIn, say, waitingCard } from './card-updates';
import type { CardStatusWording } from './card-status';
import type { CoreSettings } from './settings';
import type { Effect, TransitionContext, TransitionResult } from './session-events';
import type { Conversation, OpenSession } from './session-state';

/** Close the session, tell the user why, and (when the end is ours) tell the desk. */
export function endSession(
  state: Conversation,
  reason: EndReason,
  ctx: TransitionContext,
  options: { tellDesk: boolean; deskMessage?: string },
): TransitionResult {
  const session = state.session;
  if (!session || session.phase === 'collecting') return { state, effects: [] };
  const m = ctx.settings.messages;
  const effects: Effect[] = [];
  if (options.tellDesk) effects.push({ type: 'deskEnd', sessionId: session.sessionId, reason });
  if (session.phase === 'queued') effects.push({ type: 'cancelTimer', sessionId: session.sessionId });
  effects.push(...disableCard(waitingCard(session), { text: endStatus(session, reason, m.cardStatus) }));
  // The desk's own words ("Closed for inactivity") replace ours, in one message, not two.
  const deskWords = options.deskMessage?.trim();
  effects.push(say(deskWords ? fillIn(m.deskClosing, { message: deskWords }) : closingText(session, reason, m)));
  if (state.heldBroadcasts?.length) effects.push({ type: 'releaseBroadcasts', items: state.heldBroadcasts });
  return { state: { ...state, session: undefined, heldBroadcasts: undefined }, effects };
}

/** What the user is told; an agent closing a request nobody accepted is no "ended chat". */
function closingText(session: OpenSession, reason: EndReason, m: CoreSettings['messages']): string {
  switch (reason) {
    case 'user_stopped':
      return m.userEnded;
    case 'user_cancelled':
      return session.phase === 'live' ? m.userEnded : m.userCancelled;
    case 'agent_ended':
      return session.phase === 'queued' ? m.requestClosed : m.agentEnded;
    case 'queue_timeout':
      return m.queueTimeout;
    case 'desk_error':
      return m.deskError;
  }
}

/** The waiting card's last line, per reason and whether an agent had joined. */
function endStatus(session: OpenSession, reason: EndReason, s: CardStatusWording): string {
  const live = session.phase === 'live';
  switch (reason) {
    case 'user_stopped':
      return s.ended;
    case 'user_cancelled':
      return live ? s.ended : s.cancelled;
    case 'agent_ended':
      return live ? s.endedByAgent : s.closedWithoutChat;
    case 'queue_timeout':
      return s.noAgent;
    case 'desk_error':
      return live ? s.interrupted : s.deskError;
  }
}
