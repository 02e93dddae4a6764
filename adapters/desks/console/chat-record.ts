/**
 * The stored shape of one console chat and the pure helpers that build and summarize it.
 * A chat is one JSON value under one store key, so any process can serve it and a restart on
 * Redis loses nothing.
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
  lastMessage?: { from: ChatMessage['from']; agentName?: string; text: string; private: boolean; at: number };
}

const PREVIEW_CHARS = 140;

export function newChat(request: OpenChatRequest, now: number): ChatRecord {
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
    messages: [],
  };
}

export function hasJoined(chat: ChatRecord, agentId: string): boolean {
  return chat.agents.some((a) => a.id === agentId);
}

export function summarize(chat: ChatRecord): ChatSummary {
  const last = chat.messages[chat.messages.length - 1];
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
    messageCount: chat.messages.length,
    ...(last
      ? {
          lastMessage: {
            from: last.from,
            ...(last.agentName ? { agentName: last.agentName } : {}),
            text: preview(last),
            private: last.private,
            at: last.at,
          },
        }
      : {}),
  };
}

/** A message in one short line; a file without a caption shows as its name. */
function preview(message: ChatMessage): string {
  const text = message.text.trim() === '' && message.files?.length ? message.files.map((f) => `📎 ${f.name}`).join(', ') : message.text;
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text;
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
