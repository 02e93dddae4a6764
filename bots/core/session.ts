/**
 * The session life cycle as a pure function: `transition(state, event, ctx) -> { state, effects }`.
 *
 * One `Conversation` exists per user per surface (sessions are bot-scoped). It holds what the
 * bot knows of the user (address, profile, recent history, last utterance) and the current agent
 * session, if any, in one of three phases:
 *
 *   (none) --startChat, no description--> collecting --submitDetails--> queued
 *   (none) --startChat, description known, topics configured--> collecting (topic only) --submitDetails--> queued
 *   (none) --startChat, description known, no topics-----------------> queued
 *   queued --agentJoined / agentMessage--> live
 *   queued|live --stop phrase / cancel / agent ended / timeout / desk error--> (none)
 *
 * Nothing here does I/O: effects describe what the broker must do, in order.
 */
import {
  detailsView,
  disableCard,
  fillIn,
  retireOffers,
  say,
  staleDetailsView,
  updateStatus,
  waitingCard,
  withNewOffer,
} from './card-updates';
import { endSession } from './end-session';
import { fileRefusedText, screenFiles } from './file-screening';
import { appendHistory, historyForDesk } from './history';
import { isAgentRequest, isGreeting, isStopPhrase } from './intents';
import { routingFor } from './routing';
import type {
  AgentInfo,
  Address,
  DeskEvent,
  DetailsView,
  EndReason,
  HistoryEntry,
  OpenChatRequest,
  OutboundContent,
  SentRef,
  SurfaceKind,
  UserMessage,
  UserProfile,
  WaitingView,
} from './ports';
import type { UserEvent } from './events';
import type { CoreSettings } from './settings';

// Moved into modules of their own; still exported from here for callers of the core.
export { detailsView, waitingCard } from './card-updates';
export { isAgentRequest, isStopPhrase } from './intents';
export { routingFor } from './routing';
export { screenFiles } from './file-screening';

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

/** How long a problem description stays "already said" for a Start click. */
export const DESCRIPTION_FRESH_MS = 60 * 60 * 1000;

/** A fresh conversation for a user the bot has not seen (or whose state expired). */
export function newConversation(key: string, user: { surface: SurfaceKind; profile: UserProfile; address: Address }): Conversation {
  return { key, surface: user.surface, profile: user.profile, address: user.address, history: [] };
}

export function transition(state: Conversation, input: CoreEvent, ctx: TransitionContext): TransitionResult {
  switch (input.source) {
    case 'user':
      return onUserEvent(refreshUser(state, input.event), input.event, ctx);
    case 'desk':
      return onDeskEvent(state, input.event, ctx);
    case 'internal':
      return onInternalEvent(state, input.event, ctx);
  }
}

// ---------------------------------------------------------------------------------------------
// User events
// ---------------------------------------------------------------------------------------------

/** Addresses and names can change between messages (Teams serviceUrl is regional). */
function refreshUser(state: Conversation, event: UserEvent): Conversation {
  const profile = { ...state.profile, ...event.user.profile };
  // Same object when nothing changed, so the broker can skip a store write on the relay path.
  if (sameJson(state.address, event.user.address) && sameJson(state.profile, profile)) return state;
  return { ...state, address: event.user.address, profile };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function onUserEvent(state: Conversation, event: UserEvent, ctx: TransitionContext): TransitionResult {
  switch (event.type) {
    case 'message':
      return onUserMessage(state, event, ctx);
    case 'startChat':
      return onStartChat(state, event, ctx);
    case 'submitDetails':
      return onSubmitDetails(state, event, ctx);
    case 'cancel':
      return onCancel(state, event.sessionId, event.source, ctx);
    case 'typing':
      return state.session?.phase === 'live'
        ? { state, effects: [{ type: 'deskTyping', sessionId: state.session.sessionId }] }
        : { state, effects: [] };
    case 'broadcastAction':
      // Buttons are hidden during a chat; a click that still arrives (an old client) must not
      // interrupt the agent conversation with bot chatter, so it is recorded silently.
      return {
        state,
        effects: [{ type: 'recordBroadcastAnswer', broadcastId: event.broadcastId, index: event.index, source: event.source }],
      };
  }
}

type MessageEvent = Extract<UserEvent, { type: 'message' }>;

function onUserMessage(state: Conversation, event: MessageEvent, ctx: TransitionContext): TransitionResult {
  const m = ctx.settings.messages;
  // Too long for any surface: neither relayed nor kept (history, description), and the user knows.
  if (event.text.length > ctx.settings.maxMessageChars) {
    return { state, effects: [say(fillIn(m.tooLong, { max: ctx.settings.maxMessageChars.toLocaleString('en-US') }))] };
  }
  const text = event.text.trim();
  const session = state.session;
  const stop = isStopPhrase(text, ctx.settings);

  if (session?.phase === 'queued' || session?.phase === 'live') {
    if (stop) return endSession(state, session.phase === 'queued' ? 'user_cancelled' : 'user_stopped', ctx, { tellDesk: true });
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

  // From here on the user is talking to the bot, so the exchange becomes handoff history.
  let next: Conversation = { ...state, history: appendHistory(state.history, { from: 'user', text, at: ctx.now }) };
  const effects: Effect[] = [];

  if (session?.phase === 'collecting') {
    if (stop) {
      next = { ...next, session: undefined };
      effects.push(...disableCard(session.details, { text: m.cardStatus.cancelled }), say(m.userCancelled));
      return { state: next, effects };
    }
    // Typing the problem instead of filling the form is an answer too, unless a topic is required.
    if (text && !session.details.view.topicRequired && !isAgentRequest(text, ctx.settings) && !isGreeting(text)) {
      return queueChat(next, { description: text }, ctx, session.details);
    }
    // Anything else (asking again included) points to the form on screen: no second offer.
    if (text) return botSays(next, m.formOpen, ctx, effects);
  }

  if (stop) return botSays(next, m.nothingToStop, ctx, effects);
  if (!text && event.files?.length) return botSays(next, m.filesOutsideChat, ctx, effects);
  if (isGreeting(text)) return botSays(next, m.greeting, ctx, effects);
  if (isAgentRequest(text, ctx.settings)) return offer(next, m.offer, ctx, effects);
  // The bot has no skill for this: it becomes the description an agent will see.
  if (text) next = { ...next, lastUtterance: { text, at: ctx.now } };
  return offer(next, `${m.cannotHelp} ${m.offer}`, ctx, effects);
}

function onStartChat(state: Conversation, event: Extract<UserEvent, { type: 'startChat' }>, ctx: TransitionContext): TransitionResult {
  const m = ctx.settings.messages;
  const session = state.session;
  if (session?.phase === 'queued' || session?.phase === 'live') {
    return { state, effects: [say(m.alreadyOpen)] };
  }
  // Every offer card (the clicked one, the latest, the earlier ones) has done its job.
  const retired = retireOffers(state, { text: m.cardStatus.requested }, { offerId: event.offerId, ref: event.source });
  if (session?.phase === 'collecting') {
    // The form is already on screen; a second click must not stack another one.
    return { state: retired.state, effects: [...retired.effects, say(m.formOpen)] };
  }
  const effects = retired.effects;
  let next = retired.state;

  const lastSaid = state.lastUtterance;
  const described = !!lastSaid?.text.trim() && ctx.now - lastSaid.at < DESCRIPTION_FRESH_MS;
  // A required topic is still asked for when the problem is known: only the topic, then queue.
  if (described && ctx.settings.topics.length === 0) {
    const result = queueChat(next, { description: lastSaid!.text }, ctx);
    return { state: result.state, effects: [...effects, ...result.effects] };
  }
  const offerId = event.offerId;
  const view = detailsView(offerId, ctx.settings, { topicOnly: described });
  next = {
    ...next,
    session: { phase: 'collecting', offerId, details: { view }, startedAt: ctx.now, ...(described ? { description: lastSaid!.text } : {}) },
  };
  effects.push({ type: 'send', content: { kind: 'card', view }, track: { slot: 'details', id: offerId } });
  return { state: next, effects };
}

function onSubmitDetails(
  state: Conversation,
  event: Extract<UserEvent, { type: 'submitDetails' }>,
  ctx: TransitionContext,
): TransitionResult {
  const m = ctx.settings.messages;
  const session = state.session;
  if (session?.phase === 'queued' || session?.phase === 'live') {
    return { state, effects: [say(m.alreadyOpen)] };
  }
  if (session?.phase !== 'collecting' || session.offerId !== event.offerId) {
    const effects: Effect[] = [say(m.staleCard)];
    if (event.source)
      effects.unshift(updateStatus(event.source, staleDetailsView(event.offerId, ctx.settings), { text: m.cardStatus.noLongerActive }));
    return { state, effects };
  }
  // A topic-only form has no description field: the problem the user described before stands.
  const description = event.description.trim() || session.description?.trim() || '';
  const topic = ctx.settings.topics.find((t) => t.id === event.topicId);
  // Cards validate on the client, but a client can send anything: check again here.
  if (!description) return { state, effects: [say(m.descriptionMissing)] };
  if (session.details.view.topicRequired && !topic) return { state, effects: [say(m.topicMissing)] };
  const details = event.source && !session.details.ref ? { ...session.details, ref: event.source } : session.details;
  return queueChat(state, { description, topic }, ctx, details);
}

function onCancel(state: Conversation, sessionId: string, source: SentRef | undefined, ctx: TransitionContext): TransitionResult {
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

// ---------------------------------------------------------------------------------------------
// Desk events
// ---------------------------------------------------------------------------------------------

function onDeskEvent(state: Conversation, event: DeskEvent, ctx: TransitionContext): TransitionResult {
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

function agentJoins(
  state: Conversation,
  session: Extract<Session, { phase: 'queued' | 'live' }>,
  agent: AgentInfo,
  ctx: TransitionContext,
): TransitionResult {
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

// ---------------------------------------------------------------------------------------------
// Internal events
// ---------------------------------------------------------------------------------------------

function onInternalEvent(state: Conversation, event: InternalEvent, ctx: TransitionContext): TransitionResult {
  const session = state.session;
  switch (event.type) {
    case 'cardSent':
      return { state: recordRef(state, event), effects: [] };
    case 'offerHidden':
      return { state: withHiddenOffer(state, event), effects: [] };
    case 'broadcastDelivered': {
      // Delivered during a chat that has ended meanwhile (or held for none): restore at once.
      if (!event.held) return { state, effects: [] };
      const inChat = state.session?.phase === 'queued' || state.session?.phase === 'live';
      if (!inChat) return { state, effects: [{ type: 'releaseBroadcasts', items: [{ broadcastId: event.broadcastId, ref: event.ref }] }] };
      const held = [...(state.heldBroadcasts ?? []), { broadcastId: event.broadcastId, ref: event.ref }];
      return { state: { ...state, heldBroadcasts: held }, effects: [] };
    }
    case 'queueTimeout':
      if (session?.phase === 'queued' && session.sessionId === event.sessionId) {
        return endSession(state, 'queue_timeout', ctx, { tellDesk: true });
      }
      return { state, effects: [] };
    case 'deskOpenFailed':
      if (session?.phase === 'queued' && session.sessionId === event.sessionId) {
        return endSession(state, 'desk_error', ctx, { tellDesk: false });
      }
      return { state, effects: [] };
    case 'fileRefused':
      if ((session?.phase === 'queued' || session?.phase === 'live') && session.sessionId === event.sessionId) {
        // Counted when it arrived (sizes are often unknown up front); a refused file gives its slot back.
        const filesSent = Math.max(0, (session.filesSent ?? 1) - 1);
        return {
          state: { ...state, session: { ...session, filesSent } },
          effects: [say(fileRefusedText(event.name, event.reason, ctx.settings))],
        };
      }
      return { state, effects: [] };
    case 'deskSendFailed':
      if ((session?.phase === 'queued' || session?.phase === 'live') && session.sessionId === event.sessionId) {
        return { state, effects: [say(ctx.settings.messages.notDelivered)] };
      }
      return { state, effects: [] };
  }
}

/** The history (what the agent may see later) and the card say what the user read, not "I can connect you". */
function withHiddenOffer(state: Conversation, event: Extract<InternalEvent, { type: 'offerHidden' }>): Conversation {
  const latest = state.offer;
  if (latest?.view.offerId !== event.offerId) return state;
  const said = [event.message, event.reason].filter(Boolean).join(' ');
  const at = state.history.map((h) => h.from === 'bot' && h.text === latest.view.message).lastIndexOf(true);
  const history = at < 0 ? state.history : state.history.map((h, i) => (i === at ? { ...h, text: said } : h));
  return { ...state, history, offer: { ...latest, view: { ...latest.view, message: event.message } } };
}

function recordRef(state: Conversation, event: Extract<InternalEvent, { type: 'cardSent' }>): Conversation {
  const s = state.session;
  switch (event.slot) {
    case 'offer':
      return state.offer?.view.offerId === event.id ? { ...state, offer: { ...state.offer, ref: event.ref } } : state;
    case 'details':
      return s?.phase === 'collecting' && s.offerId === event.id
        ? { ...state, session: { ...s, details: { ...s.details, ref: event.ref } } }
        : state;
    case 'waiting':
      return (s?.phase === 'queued' || s?.phase === 'live') && s.sessionId === event.id
        ? { ...state, session: { ...s, waiting: { ...s.waiting, ref: event.ref } } }
        : state;
  }
}

// ---------------------------------------------------------------------------------------------
// Shared steps
// ---------------------------------------------------------------------------------------------

function queueChat(
  state: Conversation,
  input: { description: string; topic?: { id: string; label: string } },
  ctx: TransitionContext,
  details?: TrackedCard<DetailsView>,
): TransitionResult {
  const sessionId = ctx.newId();
  const firstLine =
    input.description
      .split(/\r?\n/)
      .find((l) => l.trim())
      ?.trim() ?? input.description;
  const request: ChatRequestSummary = {
    title: firstLine.length > 120 ? `${firstLine.slice(0, 117)}...` : firstLine,
    ...(input.topic ? { topic: input.topic } : {}),
  };
  const waitingView: WaitingView = { type: 'waiting', sessionId, title: request.title };
  const deadline = ctx.now + ctx.settings.queueTimeoutSeconds * 1000;
  const effects: Effect[] = [];
  if (details) {
    const status = ctx.settings.messages.cardStatus;
    effects.push(...disableCard(details, { text: input.topic ? fillIn(status.sentWithTopic, { topic: input.topic.label }) : status.sent }));
  }
  effects.push(
    { type: 'send', content: { kind: 'card', view: waitingView }, track: { slot: 'waiting', id: sessionId } },
    { type: 'startTimer', sessionId, at: deadline },
    {
      type: 'deskOpen',
      request: {
        sessionId,
        surface: state.surface,
        user: state.profile,
        title: request.title,
        details: input.description,
        topic: request.topic,
        routing: routingFor(state.profile, ctx.settings),
        ...historyForDesk(state.history, ctx.settings.history),
      },
    },
  );
  const next: Conversation = {
    ...state,
    // The history went to the desk with the request; during and after this chat the bot starts
    // a new one (what was said before is the agent's to know, not the next agent's).
    history: [],
    lastUtterance: undefined,
    session: {
      phase: 'queued',
      sessionId,
      request,
      waiting: {},
      queuedNoticeSent: false,
      deadline,
      startedAt: ctx.now,
    },
  };
  return { state: next, effects };
}

function offer(state: Conversation, message: string, ctx: TransitionContext, effects: Effect[]): TransitionResult {
  const offerId = ctx.newId();
  // The previous offer stays clickable (Start uses whatever the user said last either way); it
  // is remembered so that Start on any of them retires them all.
  const next = withNewOffer(
    { ...state, history: appendHistory(state.history, { from: 'bot', text: message, at: ctx.now }) },
    { offerId, message },
  );
  // With the button hidden, "I can connect you" would contradict the reason shown under it.
  const unavailableMessage = ctx.settings.messages.offerUnavailable;
  return { state: next, effects: [...effects, { type: 'offer', offerId, message, unavailableMessage }] };
}

function botSays(state: Conversation, text: string, ctx: TransitionContext, effects: Effect[]): TransitionResult {
  return {
    state: { ...state, history: appendHistory(state.history, { from: 'bot', text, at: ctx.now }) },
    effects: [...effects, say(text)],
  };
}

/** "{agent}" in configured wording becomes the agent's name. */
function fill(template: string, agent: AgentInfo): string {
  return fillIn(template, { agent: agent.name });
}
