/**
 * The phases with an agent session open, `queued` (waiting for an agent) and `live` (an agent
 * joined): the user's messages and files go to the desk, the desk's events come to the user, and
 * the broker's follow-ups (a timeout, a failed send, a refused file) end or amend the chat.
 */
import { disableCard, fillIn, say, updateStatus, waitingCard } from './card-updates';
import { endSession } from './end-session';
import { fileRefusedText, screenFiles } from './file-screening';
import { isStopPhrase } from './intents';
import type { AgentInfo, DeskEvent, EndReason, OutboundContent, SentRef, UserMessage, WaitingView } from './ports';
import type { Effect, InternalEvent, MessageEvent, TransitionContext, TransitionResult } from './session-events';
import type { Conversation, OpenSession, Session, WaitingCard } from './session-state';

/** A user's message during the chat: to the desk (with the files that pass screening), or the stop phrase. */
export function onChatMessage(state: Conversation, session: OpenSession, event: MessageEvent, ctx: TransitionContext): TransitionResult {
  const m = ctx.settings.messages;
  const text = event.text.trim();
  if (isStopPhrase(text, ctx.settings)) {
    return endSession(state, session.phase === 'queued' ? 'user_cancelled' : 'user_stopped', ctx, { tellDesk: true });
  }
  const screened = screenFiles(event.files ?? [], session.filesSent ?? 0, ctx.settings);
  const effects: Effect[] = screened.refused.map((r) => say(fileRefusedText(r.file.name, r.reason, ctx.settings)));
  const hasContent = text !== '' || screened.accepted.length > 0;
  if (hasContent) {
    const message: UserMessage = {
      messageId: event.messageId,
      text: event.text,
      files: screened.accepted.length > 0 ? screened.accepted : undefined,
      at: ctx.now,
    };
    effects.push({ type: 'deskSend', sessionId: session.sessionId, message });
  }
  let nextSession: Session =
    screened.accepted.length > 0 ? { ...session, filesSent: (session.filesSent ?? 0) + screened.accepted.length } : session;
  if (hasContent && nextSession.phase === 'queued' && !nextSession.queuedNoticeSent) {
    effects.push(say(m.queuedNotice));
    nextSession = { ...nextSession, queuedNoticeSent: true };
  }
  return { state: nextSession === session ? state : { ...state, session: nextSession }, effects };
}

/** The Cancel button of a waiting card: ends the chat it belongs to, or says the card is stale. */
export function onCancel(state: Conversation, sessionId: string, source: SentRef | undefined, ctx: TransitionContext): TransitionResult {
  const session = state.session;
  if ((session?.phase === 'queued' || session?.phase === 'live') && session.sessionId === sessionId) {
    return endSession(state, 'user_cancelled', ctx, { tellDesk: true });
  }
  const effects: Effect[] = [say(ctx.settings.messages.staleCard)];
  if (source) {
    const view: WaitingView = { type: 'waiting', sessionId, title: '' };
    effects.unshift(updateStatus(source, view, { text: ctx.settings.messages.cardStatus.noLongerActive }));
  }
  return { state, effects };
}

export function onDeskEvent(state: Conversation, event: DeskEvent, ctx: TransitionContext): TransitionResult {
  const session = state.session;
  // Events for a session that already ended (or never was ours) change nothing.
  if (!session || session.phase === 'collecting' || session.sessionId !== event.sessionId) {
    return { state, effects: [] };
  }
  const m = ctx.settings.messages;
  switch (event.type) {
    case 'queued': {
      if (session.phase !== 'queued' || event.estimatedWaitSeconds === undefined) return { state, effects: [] };
      const waiting: WaitingCard = { ref: session.waiting.ref, estimatedWaitSeconds: event.estimatedWaitSeconds };
      const next = { ...session, waiting };
      const view = waitingCard(next).view;
      const effects: Effect[] = waiting.ref ? [{ type: 'update', ref: waiting.ref, content: { kind: 'card', view } }] : [];
      return { state: { ...state, session: next }, effects };
    }
    case 'agentJoined':
      return agentJoins(state, session, event.agent, ctx);
    case 'agentLeft': {
      if (session.phase !== 'live' || !session.agents.some((a) => a.id === event.agent.id)) return { state, effects: [] };
      const agents = session.agents.filter((a) => a.id !== event.agent.id);
      return {
        state: { ...state, session: { ...session, agents } },
        effects: [say(fill(m.agentLeft, event.agent))],
      };
    }
    case 'agentMessage': {
      // Some desks send the agent's greeting before (or instead of) an explicit join.
      const joined =
        session.phase === 'live' && session.agents.some((a) => a.id === event.agent.id)
          ? { state, effects: [] as Effect[] }
          : agentJoins(state, session, event.agent, ctx);
      const agent = ctx.settings.attribution.showAvatars ? event.agent : { ...event.agent, avatarUrl: undefined };
      const content: OutboundContent =
        ctx.settings.attribution.style === 'card' && !event.files?.length
          ? { kind: 'card', view: { type: 'agentMessage', agent, text: event.text } }
          : { kind: 'text', text: event.text, from: agent, files: event.files };
      return { state: joined.state, effects: [...joined.effects, { type: 'send', content }] };
    }
    case 'systemMessage':
      return { state, effects: [say(event.text)] };
    case 'typing':
      return { state, effects: event.on && session.phase === 'live' ? [{ type: 'userTyping', agent: event.agent }] : [] };
    case 'ended': {
      const reason: EndReason = event.reason;
      return endSession(state, reason, ctx, { tellDesk: false, deskMessage: event.message });
    }
  }
}

function agentJoins(state: Conversation, session: OpenSession, agent: AgentInfo, ctx: TransitionContext): TransitionResult {
  if (session.phase === 'live' && session.agents.some((a) => a.id === agent.id)) return { state, effects: [] };
  const effects: Effect[] = [];
  if (session.phase === 'queued') {
    effects.push({ type: 'cancelTimer', sessionId: session.sessionId });
    effects.push(...disableCard(waitingCard(session), { text: fill(ctx.settings.messages.cardStatus.connected, agent) }));
  }
  const joinedText = fill(ctx.settings.messages.agentJoined, agent);
  // With an avatar to show, the join notice is a small card so the user sees who joined.
  effects.push(
    ctx.settings.attribution.showAvatars && agent.avatarUrl
      ? { type: 'send', content: { kind: 'card', view: { type: 'agentMessage', agent, text: joinedText } } }
      : say(joinedText),
  );
  const live: Session = {
    phase: 'live',
    sessionId: session.sessionId,
    request: session.request,
    waiting: session.waiting,
    agents: [...(session.phase === 'live' ? session.agents : []), agent],
    startedAt: session.startedAt,
    joinedAt: session.phase === 'live' ? session.joinedAt : ctx.now,
    filesSent: session.filesSent,
  };
  return { state: { ...state, session: live }, effects };
}

/** The broker's follow-ups that concern the open session; for another session (or none) they change nothing. */
export function onChatFollowUp(
  state: Conversation,
  event: Extract<InternalEvent, { type: 'queueTimeout' | 'deskOpenFailed' | 'fileRefused' | 'deskSendFailed' }>,
  ctx: TransitionContext,
): TransitionResult {
  const session = state.session;
  if (!session || session.phase === 'collecting' || session.sessionId !== event.sessionId) return { state, effects: [] };
  switch (event.type) {
    case 'queueTimeout':
      return session.phase === 'queued' ? endSession(state, 'queue_timeout', ctx, { tellDesk: true }) : { state, effects: [] };
    case 'deskOpenFailed':
      return session.phase === 'queued' ? endSession(state, 'desk_error', ctx, { tellDesk: false }) : { state, effects: [] };
    case 'fileRefused': {
      // Counted when it arrived (sizes are often unknown up front); a refused file gives its slot back.
      const filesSent = Math.max(0, (session.filesSent ?? 1) - 1);
      return {
        state: { ...state, session: { ...session, filesSent } },
        effects: [say(fileRefusedText(event.name, event.reason, ctx.settings))],
      };
    }
    case 'deskSendFailed':
      return { state, effects: [say(ctx.settings.messages.notDelivered)] };
  }
}

/** "{agent}" in configured wording becomes the agent's name. */
function fill(template: string, agent: AgentInfo): string {
  return fillIn(template, { agent: agent.name });
}
