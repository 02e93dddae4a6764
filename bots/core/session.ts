/**
 * The session life cycle as a pure function: `transition(state, event, ctx) -> { state, effects }`.
 *
 * One `Conversation` exists per user per surface (sessions are bot-scoped). It holds what the
 * bot knows of the user (address, profile, recent history, last utterance) and the current agent
 * session, if any, in one of three phases:
 *
 *   (none) --startChat, no description--> collecting --submitDetails--> queued
 *   (none) --startChat, description known----------------------------> queued
 *   queued --agentJoined / agentMessage--> live
 *   queued|live --stop phrase / cancel / agent ended / timeout / desk error--> (none)
 *
 * Nothing here does I/O: effects describe what the broker must do, in order.
 */
import { formatBytes, typeAllowed } from './file-vault';
import { appendHistory, historyForDesk } from './history';
import type {
  AgentInfo,
  Address,
  CardStatus,
  DeskEvent,
  DetailsView,
  EndReason,
  FileRef,
  HistoryEntry,
  OfferView,
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
  | { phase: 'collecting'; offerId: string; details: TrackedCard<DetailsView>; startedAt: number }
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
  /** Evaluate the offer policy, then send the offer card (tracked in the `offer` slot). */
  | { type: 'offer'; offerId: string; message: string }
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

function isGreeting(text: string): boolean {
  return greetings.has(text.toLowerCase().replace(/[!.?]+$/, ''));
}

const greetings = new Set(['hi', 'hello', 'hey', 'help', 'hi there', 'hello there', 'good morning', 'good afternoon']);

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
  const text = event.text.trim();
  const session = state.session;
  const stop = isStopPhrase(text, ctx.settings);

  if (session?.phase === 'queued' || session?.phase === 'live') {
    if (stop) return endSession(state, session.phase === 'queued' ? 'user_cancelled' : 'user_stopped', ctx, { tellDesk: true });
    const screened = screenFiles(event.files ?? [], session.filesSent ?? 0, ctx.settings);
    const effects: Effect[] = screened.refused.map((r) => say(fileRefusedText(r.file.name, r.reason, ctx.settings)));
    const hasContent = event.text.trim() !== '' || screened.accepted.length > 0;
    if (hasContent) {
      const message: UserMessage = {
        messageId: event.messageId,
        text: event.text,
        files: screened.accepted.length > 0 ? screened.accepted : undefined,
        at: ctx.now,
      };
      effects.push({ type: 'deskSend', sessionId: session.sessionId, message });
    }
    let nextSession: Session = screened.accepted.length > 0 ? { ...session, filesSent: (session.filesSent ?? 0) + screened.accepted.length } : session;
    if (hasContent && nextSession.phase === 'queued' && !nextSession.queuedNoticeSent) {
      effects.push(say(ctx.settings.messages.queuedNotice));
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
      effects.push(...disableCard(session.details, { text: 'Cancelled' }), say(ctx.settings.messages.userCancelled));
      return { state: next, effects };
    }
    // Typing the problem instead of filling the form is an answer too, unless a topic is required.
    if (text && !session.details.view.topicRequired && !isAgentRequest(text, ctx.settings) && !isGreeting(text)) {
      return queueChat(next, { description: text }, ctx, session.details);
    }
  }

  if (stop) {
    return botSays(next, 'There is no agent chat to stop. Ask for an agent any time.', ctx, effects);
  }
  if (!text && event.files?.length) {
    return botSays(next, 'I can only pass files on to an agent during an agent chat.', ctx, effects);
  }
  if (isGreeting(text)) {
    return botSays(next, ctx.settings.messages.greeting, ctx, effects);
  }
  if (isAgentRequest(text, ctx.settings)) {
    return offer(next, ctx.settings.messages.offer, ctx, effects);
  }
  // The bot has no skill for this: it becomes the description an agent will see.
  if (text) next = { ...next, lastUtterance: { text, at: ctx.now } };
  return offer(next, `${ctx.settings.messages.cannotHelp} ${ctx.settings.messages.offer}`, ctx, effects);
}

function onStartChat(
  state: Conversation,
  event: Extract<UserEvent, { type: 'startChat' }>,
  ctx: TransitionContext,
): TransitionResult {
  const session = state.session;
  if (session?.phase === 'queued' || session?.phase === 'live') {
    return { state, effects: [say(ctx.settings.messages.alreadyOpen)] };
  }
  if (session?.phase === 'collecting') {
    // The form is already on screen; a second click must not stack another one.
    return { state, effects: [say('Please fill in the form above to start the chat.')] };
  }
  const effects: Effect[] = [];
  let next = state;
  // Disable the clicked card and the latest offer (usually the same message).
  const requested: CardStatus = { text: 'Agent chat requested' };
  const latest = state.offer;
  const offerView = (offerId: string): OfferView => ({
    type: 'offer',
    offerId,
    // An older offer's wording is not kept; its card then shows only the status line.
    message: latest?.view.offerId === offerId ? latest.view.message : '',
    showButton: false,
  });
  if (event.source) effects.push(updateStatus(event.source, offerView(event.offerId), requested));
  if (latest?.ref && !sameRef(latest.ref, event.source)) {
    effects.push(updateStatus(latest.ref, offerView(latest.view.offerId), requested));
  }
  next = { ...next, offer: undefined };

  const described = !!state.lastUtterance?.text.trim() && ctx.now - state.lastUtterance!.at < DESCRIPTION_FRESH_MS;
  if (described) {
    const result = queueChat(next, { description: state.lastUtterance!.text }, ctx);
    return { state: result.state, effects: [...effects, ...result.effects] };
  }
  const offerId = event.offerId;
  const view = detailsView(offerId, ctx.settings);
  next = { ...next, session: { phase: 'collecting', offerId, details: { view }, startedAt: ctx.now } };
  effects.push({ type: 'send', content: { kind: 'card', view }, track: { slot: 'details', id: offerId } });
  return { state: next, effects };
}

function onSubmitDetails(
  state: Conversation,
  event: Extract<UserEvent, { type: 'submitDetails' }>,
  ctx: TransitionContext,
): TransitionResult {
  const session = state.session;
  if (session?.phase === 'queued' || session?.phase === 'live') {
    return { state, effects: [say(ctx.settings.messages.alreadyOpen)] };
  }
  if (session?.phase !== 'collecting' || session.offerId !== event.offerId) {
    const effects: Effect[] = [say(ctx.settings.messages.staleCard)];
    if (event.source) effects.unshift(updateStatus(event.source, detailsViewFor(event.offerId, ctx), { text: 'No longer active' }));
    return { state, effects };
  }
  const description = event.description.trim();
  const topic = ctx.settings.topics.find((t) => t.id === event.topicId);
  // Cards validate on the client, but a client can send anything: check again here.
  if (!description) return { state, effects: [say('Please describe what you need help with, then press Start chat.')] };
  if (session.details.view.topicRequired && !topic) {
    return { state, effects: [say('Please choose a topic, then press Start chat.')] };
  }
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
    const view: WaitingView = { type: 'waiting', sessionId, title: '', };
    effects.unshift(updateStatus(source, view, { text: 'No longer active' }));
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
      const joined = session.phase === 'live' && session.agents.some((a) => a.id === event.agent.id)
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
    effects.push(...disableCard(waitingCard(session), { text: `Connected to ${agent.name}` }));
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
        return { state: { ...state, session: { ...session, filesSent } }, effects: [say(fileRefusedText(event.name, event.reason, ctx.settings))] };
      }
      return { state, effects: [] };
    case 'deskSendFailed':
      if ((session?.phase === 'queued' || session?.phase === 'live') && session.sessionId === event.sessionId) {
        return { state, effects: [say(ctx.settings.messages.notDelivered)] };
      }
      return { state, effects: [] };
  }
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
  const firstLine = input.description.split(/\r?\n/).find((l) => l.trim())?.trim() ?? input.description;
  const request: ChatRequestSummary = {
    title: firstLine.length > 120 ? `${firstLine.slice(0, 117)}...` : firstLine,
    ...(input.topic ? { topic: input.topic } : {}),
  };
  const waitingView: WaitingView = { type: 'waiting', sessionId, title: request.title };
  const deadline = ctx.now + ctx.settings.queueTimeoutSeconds * 1000;
  const effects: Effect[] = [];
  if (details) {
    effects.push(...disableCard(details, { text: input.topic ? `Sent (${input.topic.label})` : 'Sent' }));
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

/** Close the session, tell the user why, and (when the end is ours) tell the desk. */
function endSession(
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
  if (session.phase === 'queued') {
    effects.push({ type: 'cancelTimer', sessionId: session.sessionId });
    effects.push(...disableCard(waitingCard(session), { text: waitingStatus[reason] }));
  }
  const text: Record<EndReason, string> = {
    user_stopped: m.userEnded,
    user_cancelled: m.userCancelled,
    agent_ended: m.agentEnded,
    queue_timeout: m.queueTimeout,
    desk_error: m.deskError,
  };
  // The desk's own words ("Closed for inactivity") first, then ours.
  if (options.deskMessage?.trim()) effects.push(say(options.deskMessage.trim()));
  effects.push(say(text[reason]));
  if (state.heldBroadcasts?.length) effects.push({ type: 'releaseBroadcasts', items: state.heldBroadcasts });
  return { state: { ...state, session: undefined, heldBroadcasts: undefined }, effects };
}

const waitingStatus: Record<EndReason, string> = {
  user_stopped: 'Chat ended',
  user_cancelled: 'Cancelled',
  agent_ended: 'Chat ended by the agent',
  queue_timeout: 'No agent was available',
  desk_error: 'Could not connect to an agent',
};

function offer(state: Conversation, message: string, ctx: TransitionContext, effects: Effect[]): TransitionResult {
  const offerId = ctx.newId();
  const next: Conversation = {
    ...state,
    history: appendHistory(state.history, { from: 'bot', text: message, at: ctx.now }),
    offer: { view: { offerId, message } },
  };
  // The previous offer stays clickable: Start uses whatever the user said last either way.
  return { state: next, effects: [...effects, { type: 'offer', offerId, message }] };
}

function botSays(state: Conversation, text: string, ctx: TransitionContext, effects: Effect[]): TransitionResult {
  return {
    state: { ...state, history: appendHistory(state.history, { from: 'bot', text, at: ctx.now }) },
    effects: [...effects, say(text)],
  };
}

function say(text: string): Effect {
  return { type: 'send', content: { kind: 'text', text } };
}

/** The waiting card of a session, its view rebuilt from the session. */
export function waitingCard(session: Extract<Session, { phase: 'queued' | 'live' }>): TrackedCard<WaitingView> {
  const { ref, estimatedWaitSeconds } = session.waiting;
  const view: WaitingView = {
    type: 'waiting',
    sessionId: session.sessionId,
    title: session.request.title,
    ...(estimatedWaitSeconds !== undefined ? { estimatedWaitSeconds } : {}),
  };
  return ref ? { view, ref } : { view };
}

function disableCard<V extends DetailsView | WaitingView>(card: TrackedCard<V>, status: CardStatus): Effect[] {
  return card.ref ? [updateStatus(card.ref, card.view, status)] : [];
}

/** Re-render a sent card with a status line in place of its buttons. */
function updateStatus(ref: SentRef, view: OfferView | DetailsView | WaitingView, status: CardStatus): Effect {
  return { type: 'update', ref, content: { kind: 'card', view: { ...view, status } } };
}

/** The details form for an offer; surfaces that reopen it (Slack's "Add details") use it too. */
export function detailsView(offerId: string, settings: Pick<CoreSettings, 'messages' | 'topics'>): DetailsView {
  return {
    type: 'details',
    offerId,
    prompt: settings.messages.detailsPrompt,
    topics: settings.topics,
    topicRequired: settings.topics.length > 0,
  };
}

/** A stale form, re-rendered only to show its status: no topics needed. */
function detailsViewFor(offerId: string, ctx: TransitionContext): DetailsView {
  return { type: 'details', offerId, prompt: ctx.settings.messages.detailsPrompt, topics: [], topicRequired: false };
}

function sameRef(a: SentRef, b: SentRef | undefined): boolean {
  return b !== undefined && sameJson(a, b);
}

/** "{agent}" in configured wording becomes the agent's name. */
function fill(template: string, agent: AgentInfo): string {
  return template.split('{agent}').join(agent.name);
}

/** Which of the user's files may go to the agent, and why the others may not. */
export function screenFiles(
  files: readonly FileRef[],
  alreadySent: number,
  settings: CoreSettings,
): { accepted: FileRef[]; refused: { file: FileRef; reason: string }[] } {
  const limits = settings.files;
  const accepted: FileRef[] = [];
  const refused: { file: FileRef; reason: string }[] = [];
  for (const file of files) {
    if (!typeAllowed(file.contentType, limits.allowedTypes)) {
      refused.push({ file, reason: `files of type ${file.contentType || 'unknown'} are not accepted` });
    } else if (file.size !== undefined && file.size > limits.maxBytes) {
      refused.push({ file, reason: `it is larger than ${formatBytes(limits.maxBytes)}` });
    } else if (alreadySent + accepted.length >= limits.maxPerSession) {
      refused.push({ file, reason: `only ${limits.maxPerSession} files can be sent in one chat` });
    } else {
      accepted.push(file);
    }
  }
  return { accepted, refused };
}

function fileRefusedText(name: string, reason: string, settings: CoreSettings): string {
  return settings.messages.fileRefused.split('{file}').join(name).split('{reason}').join(reason);
}

export function isStopPhrase(text: string, settings: CoreSettings): boolean {
  const t = text.trim().toLowerCase();
  return settings.stopPhrases.some((p) => p.trim().toLowerCase() === t);
}

/** Whole-word, case-insensitive phrase match: "agent" matches "an agent please", not "agents'". */
export function isAgentRequest(text: string, settings: CoreSettings): boolean {
  const t = ` ${normalizeWords(text)} `;
  return settings.agentRequestPhrases.some((p) => t.includes(` ${normalizeWords(p)} `));
}

function normalizeWords(s: string): string {
  return s.toLowerCase().replace(/[^\p{L}\p{N}']+/gu, ' ').trim();
}

/** Language and region from the user's locale (or time zone), plus configured custom keys. */
export function routingFor(profile: UserProfile, settings: CoreSettings): Record<string, string> {
  const routing: Record<string, string> = {};
  const locale = parseLocale(profile.locale);
  if (locale?.language) routing.language = locale.language;
  // Region: the locale's (a country like "US", or a UN M.49 area like "419"), else the time
  // zone's area ("Europe") which still lets a desk route by continent.
  if (locale?.region) routing.region = locale.region;
  else if (profile.timeZone?.includes('/')) routing.region = profile.timeZone.split('/')[0];
  return { ...routing, ...settings.routing };
}

function parseLocale(tag: string | undefined): { language?: string; region?: string } | undefined {
  if (!tag) return undefined;
  try {
    const locale = new Intl.Locale(tag.replace(/_/g, '-'));
    return { language: locale.language, region: locale.region };
  } catch {
    return undefined;
  }
}

