/** What the routes and the agent script need from the simulator (kept narrow so each stays small). */
import type { ChatItem, ItemType } from './items';
import type { SimContact, SimParticipant, SimState } from './state';

export interface SimLimits {
  /** Characters in one text message (Connect's documented 1,024 for text/plain and markdown). */
  messageMaxLength: number;
  /** UTF-8 bytes across all contact attributes (32,768). */
  attributesMaxBytes: number;
  attachmentMaxBytes: number;
  /** ConnectionToken lifetime (Connect: about a day). */
  connectionTokenTtlMs: number;
  /** How long the WebSocket URL may wait to be opened (Connect: 100 s). */
  websocketOpenWithinMs: number;
  /** `Websocket.ConnectionExpiry` after the URL was issued. */
  websocketLifetimeMs: number;
}

export interface SimContext {
  readonly state: SimState;
  readonly limits: SimLimits;
  /** `http://127.0.0.1:port`: the Connect API, the Participant Service and the file URLs. */
  readonly url: string;
  /** Record an item on the contact and push it to the contact's subscribed sockets. */
  post(
    contact: SimContact,
    from: SimParticipant | undefined,
    fields: { Type: ItemType; ContentType: string; Content?: string } & Partial<ChatItem>,
  ): ChatItem;
  /** A new contact started (the CLI announces it). */
  started(contact: SimContact): void;
}
