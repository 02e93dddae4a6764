/**
 * One Connect chat's stream as the core's `ChatStreamOwner` holds it (bots/core/chat-streams.ts):
 * a fresh connection from the ParticipantToken (a new ConnectionToken and WebSocket URL each
 * time), the socket subscribed, then the transcript read from the persisted cursor (the last
 * transcript item Id delivered), then the live items. Items the socket brought while the
 * transcript was read wait and are de-duplicated by Id, so nothing is lost or shown twice.
 *
 * Each item goes through one chain in order: mapped (items.ts), files fetched, then reported
 * with its Id as the cursor when the transcript keeps it (typing does not: a transcript read
 * cannot start there).
 */
import type { ChatStream, ChatStreamEvents } from '../../../bots/core/chat-streams';
import type { DeskEvent, Logger } from '../../../bots/core/ports';
import type { ChatSocket } from './chat-socket';
import { type ChatItem, type Mapped, mapItem, persisted } from './items';

/** What the stream needs from the desk, for one chat. */
export interface ChatStreamParts {
  sessionId: string;
  participantId: string;
  logger: Logger;
  /** The transcript after `cursor` (or from the start), in order. */
  transcript(cursor: string | undefined): Promise<ChatItem[]>;
  /** An agent's attachment as an event (the file fetched) or a notice that it could not be. */
  files(item: ChatItem, agent: { id: string; name: string }): Promise<DeskEvent>;
  /** Whether our side ended the chat (its `chat.ended` is then not the agent's end). */
  endedByUs(): Promise<boolean>;
  /** After an agent message reached the user. */
  delivered(messageId: string): void;
}

/** How many item ids a stream remembers for de-duplication (a transcript read's worth and more). */
const SEEN_KEPT = 500;

export class ConnectChatStream implements ChatStream {
  private socket?: ChatSocket;
  private readonly seen = new Set<string>();
  private waiting: ChatItem[] | undefined = [];
  private chain: Promise<void> = Promise.resolve();
  private closing = false;
  private finished = false;

  constructor(
    private readonly parts: ChatStreamParts,
    private readonly events: ChatStreamEvents,
  ) {}

  /** The socket's items go here from the moment it is created. */
  onItem(item: ChatItem): void {
    if (this.waiting) this.waiting.push(item);
    else this.enqueue(item);
  }

  onSocketEnded(reason: string): void {
    if (this.closing || this.finished) return;
    this.finished = true;
    this.events.dropped(reason);
  }

  /** Catch up from the cursor, then let the waiting live items through. */
  async start(socket: ChatSocket, cursor: string | undefined): Promise<void> {
    this.socket = socket;
    const missed = await this.parts.transcript(cursor);
    for (const item of missed) this.enqueue(item);
    const waiting = this.waiting ?? [];
    this.waiting = undefined;
    for (const item of waiting) this.enqueue(item);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.socket?.close();
  }

  private enqueue(item: ChatItem): void {
    const id = item.Id;
    if (id) {
      if (this.seen.has(id)) return;
      this.seen.add(id);
      if (this.seen.size > SEEN_KEPT) this.seen.delete(this.seen.values().next().value as string);
    }
    this.chain = this.chain.then(() =>
      this.handle(item).catch((err) =>
        this.parts.logger.warn({ err, sessionId: this.parts.sessionId }, 'amazon-connect: item not handled'),
      ),
    );
  }

  private async handle(item: ChatItem): Promise<void> {
    if (this.closing) return;
    const mapped: Mapped = mapItem(this.parts.sessionId, item, this.parts.participantId);
    const cursor = persisted(item) && item.Id ? item.Id : undefined;
    let event: DeskEvent | undefined;
    switch (mapped.kind) {
      case 'event':
        event = mapped.event;
        break;
      case 'files':
        event = await this.parts.files(mapped.item, mapped.agent);
        break;
      case 'ended':
        this.finished = true;
        if (!(await this.parts.endedByUs())) event = { type: 'ended', sessionId: this.parts.sessionId, reason: 'agent_ended' };
        break;
      case 'ignored':
        if (mapped.why === 'unknown') {
          this.parts.logger.info(
            { sessionId: this.parts.sessionId, type: item.Type, contentType: item.ContentType },
            'amazon-connect: an item of a kind the bridge does not relay, ignored',
          );
        }
        return;
    }
    if (!event || this.closing) return;
    const reached = await this.events.event(event, cursor);
    if (reached && event.type === 'agentMessage') this.parts.delivered(event.messageId);
  }
}
