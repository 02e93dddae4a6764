/**
 * The people on Connect's side of a chat, scripted: agents accepting, writing, typing, sending
 * files, transferring to a colleague, a supervisor barging in, the contact flow's system
 * messages, idle timers, and the end. Each call posts the items Connect would, in the order we
 * understand Connect posts them (the reference marks the exact order on transfer and hang-up as
 * inferred).
 */
import { randomUUID } from 'node:crypto';
import type { SimContext } from './context';
import { type ChatItem, EVENT } from './items';
import { type SimContact, type SimParticipant, token } from './state';

export interface AgentFile {
  name: string;
  contentType: string;
  bytes: Uint8Array;
}

/** How system messages are signed in Connect's transcripts (observed in chatjs samples). */
const SYSTEM = { DisplayName: 'SYSTEM_MESSAGE', ParticipantRole: 'SYSTEM' as const };

export class AgentScript {
  constructor(private readonly sim: SimContext) {}

  /** An agent accepts the contact (or joins as another agent when someone is there already). */
  join(contactId: string, displayName = 'Beth Anglin', role: 'AGENT' | 'SUPERVISOR' = 'AGENT'): SimParticipant {
    const contact = this.open(contactId);
    const participant: SimParticipant = { participantId: randomUUID(), displayName, role };
    contact.present.push(participant);
    contact.status = 'connected';
    this.sim.post(contact, participant, { Type: 'EVENT', ContentType: EVENT.joined });
    return participant;
  }

  /** An agent (by display name; default the latest agent to join) writes. */
  say(contactId: string, text: string, opts: { as?: string; contentType?: string } = {}): ChatItem {
    const contact = this.open(contactId);
    return this.sim.post(contact, this.agent(contact, opts.as), {
      Type: 'MESSAGE',
      ContentType: opts.contentType ?? 'text/plain',
      Content: text,
    });
  }

  typing(contactId: string, as?: string): ChatItem {
    const contact = this.open(contactId);
    return this.sim.post(contact, this.agent(contact, as), { Type: 'EVENT', ContentType: EVENT.typing });
  }

  /** An agent attaches a file: stored approved, announced as an ATTACHMENT item; GetAttachment serves it. */
  sendFile(contactId: string, file: AgentFile, as?: string): ChatItem {
    const contact = this.open(contactId);
    const from = this.agent(contact, as);
    const attachmentId = randomUUID();
    this.sim.state.attachments.set(attachmentId, {
      attachmentId,
      contactId: contact.initialContactId,
      participantId: from.participantId,
      name: file.name,
      contentType: file.contentType,
      size: file.bytes.byteLength,
      uploadKey: token(),
      status: 'APPROVED',
      bytes: Buffer.from(file.bytes),
    });
    return this.sim.post(contact, from, {
      Type: 'ATTACHMENT',
      ContentType: file.contentType,
      Attachments: [{ ContentType: file.contentType, AttachmentId: attachmentId, AttachmentName: file.name, Status: 'APPROVED' }],
    });
  }

  /**
   * The agent transfers the chat to a colleague: the agent leaves, the transfer succeeds (a new
   * contact segment in the same chain, so later items carry a new ContactId), the colleague joins.
   */
  transfer(contactId: string, toDisplayName = 'Carl Moss'): SimParticipant {
    const contact = this.open(contactId);
    const from = this.agent(contact);
    this.sim.post(contact, from, { Type: 'EVENT', ContentType: EVENT.left });
    contact.present = contact.present.filter((p) => p !== from);
    contact.contactId = randomUUID();
    contact.status = 'queued';
    this.sim.post(contact, undefined, { Type: 'EVENT', ContentType: EVENT.transferSucceeded, ...SYSTEM });
    return this.join(contactId, toDisplayName);
  }

  /** A transfer that found nobody: the agent stays. */
  transferFailed(contactId: string): ChatItem {
    return this.sim.post(this.open(contactId), undefined, { Type: 'EVENT', ContentType: EVENT.transferFailed, ...SYSTEM });
  }

  /** A supervisor barges in (joining first if needed) and writes, signed SUPERVISOR. */
  supervisor(contactId: string, text: string, displayName = 'Sam Supervisor'): ChatItem {
    const contact = this.open(contactId);
    const present = contact.present.find((p) => p.role === 'SUPERVISOR' && p.displayName === displayName);
    const from = present ?? this.join(contactId, displayName, 'SUPERVISOR');
    return this.sim.post(contact, from, { Type: 'MESSAGE', ContentType: 'text/plain', Content: text });
  }

  /** A contact-flow message (queue notice, "an agent will be with you"). */
  system(contactId: string, text: string): ChatItem {
    return this.sim.post(this.open(contactId), undefined, { Type: 'MESSAGE', ContentType: 'text/plain', Content: text, ...SYSTEM });
  }

  /** Connect's idle timers, about the customer. */
  idle(contactId: string): ChatItem {
    const contact = this.open(contactId);
    return this.sim.post(contact, contact.customer, { Type: 'EVENT', ContentType: EVENT.idle });
  }

  returned(contactId: string): ChatItem {
    const contact = this.open(contactId);
    return this.sim.post(contact, contact.customer, { Type: 'EVENT', ContentType: EVENT.returned });
  }

  /** The idle customer is disconnected: the notice, the customer leaves, the chat ends. */
  autoDisconnect(contactId: string): void {
    const contact = this.open(contactId);
    this.sim.post(contact, contact.customer, { Type: 'EVENT', ContentType: EVENT.autoDisconnection });
    this.sim.post(contact, contact.customer, { Type: 'EVENT', ContentType: EVENT.left });
    this.finish(contact);
  }

  /** An agent (or supervisor) leaves without ending the chat. */
  leave(contactId: string, as?: string): void {
    const contact = this.open(contactId);
    const who = as ? contact.present.find((p) => p.displayName === as) : this.agent(contact);
    if (!who) throw new Error(`amazon connect simulator: ${as} is not in ${contactId}`);
    this.sim.post(contact, who, { Type: 'EVENT', ContentType: EVENT.left });
    contact.present = contact.present.filter((p) => p !== who);
  }

  /** The agent ends the chat: everyone on Connect's side leaves, then the chat ends. */
  end(contactId: string): void {
    const contact = this.open(contactId);
    for (const p of [...contact.present].reverse()) this.sim.post(contact, p, { Type: 'EVENT', ContentType: EVENT.left });
    this.finish(contact);
  }

  /** The agent's workspace reports a customer message delivered or read. */
  receipt(contactId: string, messageId: string, kind: 'delivered' | 'read', as?: string): ChatItem {
    const contact = this.open(contactId);
    const from = this.agent(contact, as);
    const at = new Date(this.sim.state.now()).toISOString();
    const stamp = kind === 'read' ? { ReadTimestamp: at } : { DeliveredTimestamp: at };
    return this.sim.post(contact, undefined, {
      Type: 'MESSAGEMETADATA',
      ContentType: kind === 'read' ? EVENT.read : EVENT.delivered,
      MessageMetadata: { MessageId: messageId, Receipts: [{ ...stamp, RecipientParticipantId: from.participantId }] },
    });
  }

  private finish(contact: SimContact): void {
    contact.present = [];
    contact.status = 'ended';
    this.sim.post(contact, undefined, { Type: 'EVENT', ContentType: EVENT.chatEnded });
  }

  private open(contactId: string): SimContact {
    const contact = this.sim.state.contact(contactId);
    if (contact.status === 'ended') throw new Error(`amazon connect simulator: chat ${contactId} has ended`);
    return contact;
  }

  private agent(contact: SimContact, displayName?: string): SimParticipant {
    const agents = contact.present.filter((p) => p.role === 'AGENT' && (!displayName || p.displayName === displayName));
    const agent = agents.at(-1);
    if (!agent)
      throw new Error(
        `amazon connect simulator: no agent${displayName ? ` ${displayName}` : ''} in ${contact.initialContactId}; join first`,
      );
    return agent;
  }
}
