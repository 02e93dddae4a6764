/**
 * What the web chat API and its event stream carry. The page (`page/chat.js` and its modules)
 * and test clients depend on these shapes; change them together.
 */
import type { AdaptiveCardJson } from '../../cards/adaptive';

/** A file in the conversation, shown as an image or a link. */
export interface ChatFile {
  name: string;
  contentType: string;
  size?: number;
  /** Where the browser fetches it: a bridge path (`/files/...`) or a desk's https URL. */
  url: string;
}

/** One line of the conversation: a user message, a bot message or card, an agent message. */
export interface ChatEntry {
  id: string;
  /** The log version that last wrote this entry; the page keeps the higher one when merging. */
  rev: number;
  /** Epoch milliseconds. */
  at: number;
  from: 'user' | 'bot' | 'agent';
  text?: string;
  /** The agent who wrote it (agent messages only); the avatar only when config allows. */
  agent?: { name: string; avatarUrl?: string };
  files?: ChatFile[];
  /**
   * A card the bot sent, as Adaptive Card JSON rendered by `cards/adaptive.ts` from the core's
   * view: the same templates Teams gets. Updates (a card whose buttons no longer apply) replace it.
   */
  card?: AdaptiveCardJson;
  /** The card in words, for screen readers and when the card cannot be drawn. */
  cardText?: string;
  /** The id the client gave a user message, so the page can match its optimistic copy. */
  clientId?: string;
  updatedAt?: number;
}

/** The agent chat the user is in, if any: drives the "type stop chat to end" hint. */
export type ChatState =
  | { phase: 'none' }
  | { phase: 'collecting' }
  | { phase: 'queued'; title: string }
  | { phase: 'live'; agents: { name: string; avatarUrl?: string }[] };

/**
 * Server-Sent Events on `GET /chat/api/events`:
 * - `ready`   { user, version }             once per connection
 * - `message` { entry, state }              a new entry (also the user's own, for other tabs)
 * - `update`  { entry, state }              an entry replaced (a card re-rendered with a status)
 * - `typing`  { on: true, agent? }          the agent is typing (show it for a few seconds)
 *             { on: false }                   stop showing it: sent after the next bot or agent
 *                                             message (which includes every end of a chat)
 * plus `: heartbeat` comments.
 */
export type WebEventName = 'ready' | 'message' | 'update' | 'typing';
