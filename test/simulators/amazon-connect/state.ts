/**
 * What the simulated instance remembers: chat contacts with their transcript, the tokens that
 * open them (ParticipantToken → ConnectionToken → one-time WebSocket URL), attachments, and the
 * queue's agent counts. Routes and the agent script change it only through this class so a
 * transcript item and its WebSocket frame are always the same object.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ChatItem, ItemType, ParticipantRole } from './items';

export interface SimParticipant {
  participantId: string;
  displayName: string;
  role: ParticipantRole;
}

export interface StartDetails {
  clientToken: string;
  attributes: Record<string, string>;
  initialMessage?: { ContentType: string; Content: string };
  supportedContentTypes: string[];
  chatDurationInMinutes: number;
}

export interface SimContact extends StartDetails {
  /** The current segment: a transfer to another agent starts a new one in the same chain. */
  contactId: string;
  initialContactId: string;
  instanceId: string;
  contactFlowId: string;
  customer: SimParticipant;
  participantToken: string;
  /** Agents and supervisors in the chat now. */
  present: SimParticipant[];
  status: 'queued' | 'connected' | 'ended';
  customerConnected: boolean;
  /** Every item in order, typing and receipts included; GetTranscript filters. */
  items: ChatItem[];
}

export interface ConnectionGrant {
  token: string;
  contactId: string;
  participantId: string;
  expiresAt: number;
}

export interface SocketTicket {
  ticket: string;
  contactId: string;
  participantId: string;
  /** The URL must be opened by then (Connect: 100 s). */
  openBy: number;
  /** When the socket's connection expires (`Websocket.ConnectionExpiry`). */
  expiresAt: number;
  used: boolean;
}

export interface StoredAttachment {
  attachmentId: string;
  contactId: string;
  participantId: string;
  name: string;
  contentType: string;
  size: number;
  uploadKey: string;
  status: 'IN_PROGRESS' | 'APPROVED' | 'REJECTED';
  bytes?: Buffer;
}

export const token = (bytes = 24): string => randomBytes(bytes).toString('base64url');

export class SimState {
  readonly contacts = new Map<string, SimContact>();
  readonly byClientToken = new Map<string, SimContact>();
  readonly connections = new Map<string, ConnectionGrant>();
  readonly tickets = new Map<string, SocketTicket>();
  readonly attachments = new Map<string, StoredAttachment>();
  private readonly byToken = new Map<string, SimContact>();
  agentsAvailable = 1;
  agentsOnline = 1;
  private lastTime = 0;

  constructor(
    readonly instanceId: string,
    readonly contactFlowId: string,
    readonly queueId: string,
  ) {}

  /** Strictly increasing times, so `StartPosition.AbsoluteTime` picks an exact item. */
  now(): number {
    this.lastTime = Math.max(Date.now(), this.lastTime + 1);
    return this.lastTime;
  }

  createContact(details: StartDetails, displayName: string): SimContact {
    const contactId = randomUUID();
    const contact: SimContact = {
      ...details,
      contactId,
      initialContactId: contactId,
      instanceId: this.instanceId,
      contactFlowId: this.contactFlowId,
      customer: { participantId: randomUUID(), displayName, role: 'CUSTOMER' },
      participantToken: token(48),
      present: [],
      status: 'queued',
      customerConnected: false,
      items: [],
    };
    this.contacts.set(contactId, contact);
    this.byClientToken.set(details.clientToken, contact);
    this.byToken.set(contact.participantToken, contact);
    return contact;
  }

  contact(id: string): SimContact {
    const contact = this.contacts.get(id) ?? [...this.contacts.values()].find((c) => c.contactId === id);
    if (!contact) throw new Error(`amazon connect simulator: no contact ${id}`);
    return contact;
  }

  byParticipantToken(value: string): SimContact | undefined {
    return this.byToken.get(value);
  }

  /** Append an item to the contact's chain, stamped with its current segment. */
  addItem(
    contact: SimContact,
    from: SimParticipant | undefined,
    fields: { Type: ItemType; ContentType: string; Content?: string } & Partial<ChatItem>,
  ): ChatItem {
    const item: ChatItem = {
      AbsoluteTime: new Date(this.now()).toISOString(),
      Id: randomUUID(),
      ...(from ? { ParticipantId: from.participantId, DisplayName: from.displayName, ParticipantRole: from.role } : {}),
      ContactId: contact.contactId,
      InitialContactId: contact.initialContactId,
      ...fields,
    };
    contact.items.push(item);
    return item;
  }

  grantConnection(contact: SimContact, ttlMs: number): ConnectionGrant {
    const grant = {
      token: token(48),
      contactId: contact.initialContactId,
      participantId: contact.customer.participantId,
      expiresAt: this.now() + ttlMs,
    };
    this.connections.set(grant.token, grant);
    return grant;
  }

  issueTicket(contact: SimContact, openWithinMs: number, lifetimeMs: number): SocketTicket {
    const at = this.now();
    const ticket: SocketTicket = {
      ticket: token(),
      contactId: contact.initialContactId,
      participantId: contact.customer.participantId,
      openBy: at + openWithinMs,
      expiresAt: at + lifetimeMs,
      used: false,
    };
    this.tickets.set(ticket.ticket, ticket);
    return ticket;
  }

  /** Every ConnectionToken of the contact stops working now (renewal tests). */
  expireConnections(contactId: string): number {
    const chain = this.contact(contactId).initialContactId;
    let n = 0;
    for (const grant of this.connections.values()) {
      if (grant.contactId !== chain || grant.expiresAt === 0) continue;
      grant.expiresAt = 0;
      n++;
    }
    return n;
  }
}
