/**
 * The shapes of one console chat and the pure helpers that build and summarize it.
 *
 * A chat is kept in two parts (see `chat-repo.ts`), so any process can serve it and a restart on
 * Redis loses nothing: the chat itself (`Chat`: status, user, agents, a summary of its messages)
 * as one small JSON value that each write replaces, and its messages in an append-only list of
 * their own, so adding a message costs the same however long the chat is. Agents get both
 * joined together (`ChatRecord`).
 */
import type { AgentInfo, EndReason, HistoryEntry, OpenChatRequest, SurfaceKind } from '../../../bots/core/ports';

export type ChatStatus = 'queued' | 'live' | 'ended';

/**
 * A file in the chat (from the user, or sent by an agent), as agents see it: a link to the
 * bridge's file URL, never the bytes (they do not belong in the chat record).
 */
export interface ChatAttachment {
  name: string;
  contentType: string;
  size?: number;
  url?: string;
}

export interface ChatMessage {
  id: string;
  from: 'user' | 'agent' | 'system';
  agentId?: string;
  agentName?: string;
  text: string;
  /** Agent-to-agent note: shown in the console only, never relayed to the user. */
  private: boolean;
  /** Epoch milliseconds. */
  at: number;
  files?: ChatAttachment[];
  /** Set when relaying this agent message to the user failed, so agents know it may not have arrived. */
  undelivered?: boolean;
}

export interface ChatUser {
  id: string;
  name: string;
  email?: string;
  locale?: string;
  timeZone?: string;
}

/** A chat with all its messages: what the console API gives agents. */
export interface ChatRecord {
  /** Our session id. */
  id: string;
  status: ChatStatus;
  title: string;
  details: string;
  topic?: { id: string; label: string };
  user: ChatUser;
  surface: SurfaceKind;
  routing: Record<string, string>;
  /** The conversation with the bot before the handoff. */
  history: HistoryEntry[];
  createdAt: number;
  acceptedAt?: number;
  endedAt?: number;
  endedReason?: EndReason;
  /** Agents who joined, in the order they joined. */
  agents: AgentInfo[];
  messages: ChatMessage[];
}

/** The last message of a chat in one short line, for the chat list. */
export interface MessagePreview {
  from: ChatMessage['from'];
  agentName?: string;
  text: string;
  private: boolean;
  at: number;
}

/**
 * A chat without its messages, which are appended to a list of their own; what the chat list
 * needs of them is kept here.
 */
export interface Chat extends Omit<ChatRecord, 'messages'> {
  /** Messages in the chat, `earlierMessages` included. */
  messageCount: number;
  lastMessage?: MessagePreview;
  /**
   * Agent messages that may not have reached the user, by id. The message list is append-only,
   * so the mark is kept here and put on the message when the chat is read.
   */
  undelivered?: string[];
  /**
   * Messages of a chat stored before messages had a list of their own (they were kept in the
   * chat itself); they come before the list's. Never written for new chats.
   */
  earlierMessages?: ChatMessage[];
}

/** What the chat list shows: enough to pick a chat without loading every message. */
export interface ChatSummary {
  id: string;
  status: ChatStatus;
  title: string;
  topic?: { id: string; label: string };
  user: { id: string; name: string };
  surface: SurfaceKind;
  agents: AgentInfo[];
  createdAt: number;
  acceptedAt?: number;
  endedAt?: number;
  endedReason?: EndReason;
  messageCount: number;
  lastMessage?: MessagePreview;
}

const PREVIEW_CHARS = 140;

export function newChat(request: OpenChatRequest, now: number): Chat {
  const { user } = request;
  return {
    id: request.sessionId,
    status: 'queued',
    title: request.title,
    details: request.details,
    ...(request.topic ? { topic: { id: request.topic.id, label: request.topic.label } } : {}),
    user: {
      id: user.id,
      name: user.name,
      ...(user.email ? { email: user.email } : {}),
      ...(user.locale ? { locale: user.locale } : {}),
      ...(user.timeZone ? { timeZone: user.timeZone } : {}),
    },
    surface: request.surface,
    routing: { ...request.routing },
    history: request.history.map((h) => ({ from: h.from, text: h.text, at: h.at })),
    createdAt: now,
    agents: [],
    messageCount: 0,
  };
}

export function hasJoined(chat: Chat, agentId: string): boolean {
  return chat.agents.some((a) => a.id === agentId);
}

/** The chat as agents get it: the chat and its messages, with undelivered marks on them. */
export function toRecord(chat: Chat, listed: ChatMessage[]): ChatRecord {
  const all = chat.earlierMessages ? [...chat.earlierMessages, ...listed] : listed;
  const undelivered = new Set(chat.undelivered ?? []);
  const messages = undelivered.size === 0 ? all : all.map((m) => (undelivered.has(m.id) ? { ...m, undelivered: true } : m));
  return {
    id: chat.id,
    status: chat.status,
    title: chat.title,
    details: chat.details,
    ...(chat.topic ? { topic: chat.topic } : {}),
    user: chat.user,
    surface: chat.surface,
    routing: chat.routing,
    history: chat.history,
    createdAt: chat.createdAt,
    ...(chat.acceptedAt !== undefined ? { acceptedAt: chat.acceptedAt } : {}),
    ...(chat.endedAt !== undefined ? { endedAt: chat.endedAt } : {}),
    ...(chat.endedReason ? { endedReason: chat.endedReason } : {}),
    agents: chat.agents,
    messages,
  };
}

export function summarize(chat: Chat): ChatSummary {
  return {
    id: chat.id,
    status: chat.status,
    title: chat.title,
    ...(chat.topic ? { topic: chat.topic } : {}),
    user: { id: chat.user.id, name: chat.user.name },
    surface: chat.surface,
    agents: chat.agents,
    createdAt: chat.createdAt,
    ...(chat.acceptedAt !== undefined ? { acceptedAt: chat.acceptedAt } : {}),
    ...(chat.endedAt !== undefined ? { endedAt: chat.endedAt } : {}),
    ...(chat.endedReason ? { endedReason: chat.endedReason } : {}),
    messageCount: chat.messageCount,
    ...(chat.lastMessage ? { lastMessage: chat.lastMessage } : {}),
  };
}

/** A message in one short line; a file without a caption shows as its name. */
export function preview(message: ChatMessage): MessagePreview {
  const full = message.text.trim() === '' && message.files?.length ? message.files.map((f) => `📎 ${f.name}`).join(', ') : message.text;
  const text = full.length > PREVIEW_CHARS ? `${full.slice(0, PREVIEW_CHARS - 1)}…` : full;
  return {
    from: message.from,
    ...(message.agentName ? { agentName: message.agentName } : {}),
    text,
    private: message.private,
    at: message.at,
  };
}

/** The line agents see when the chat ends from the user's side (or ours). */
export function endedLine(reason: EndReason): string {
  switch (reason) {
    case 'user_stopped':
      return 'The user ended the chat';
    case 'user_cancelled':
      return 'The user cancelled';
    case 'queue_timeout':
      return 'Queue timeout: no agent accepted the chat in time';
    case 'agent_ended':
      return 'The chat was ended';
    case 'desk_error':
      return 'The chat ended because of a problem on the bridge';
  }
}
