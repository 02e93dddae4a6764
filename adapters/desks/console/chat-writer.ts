/**
 * How the console desk changes a chat: one write at a time per chat (`ChatRepo.mutate`: the
 * kit's queue in this process and lease across processes), and every change announced to agents,
 * this process's at once and the other processes' through the store (`LiveChannel`).
 */
import type { Clock, EndReason, Logger, Store } from '../../../bots/core/ports';
import { LiveChannel } from '../../../bots/core/live-channel';
import { type Chat, type ChatMessage, type ChatRecord, summarize, toRecord } from './chat-record';
import type { ChatRepo } from './chat-repo';
import type { AgentEventHub, ConsoleEventName } from './sse';

/** Where agents' stream events go to the other processes (namespaced by the store). */
export const CONSOLE_EVENTS_CHANNEL = 'console:events';

export interface ChatWriterDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  repo: ChatRepo;
  hub: AgentEventHub;
  ids: () => string;
}

export class ChatWriter {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly repo: ChatRepo;
  private readonly hub: AgentEventHub;
  private readonly ids: () => string;
  private readonly live: LiveChannel<{ event: ConsoleEventName; data: unknown }>;

  constructor(deps: ChatWriterDeps) {
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.repo = deps.repo;
    this.hub = deps.hub;
    this.ids = deps.ids;
    this.live = new LiveChannel({ store: deps.store, logger: deps.logger, channel: CONSOLE_EVENTS_CHANNEL }, ({ event, data }) =>
      this.hub.broadcast(event, data),
    );
  }

  /** Start and stop hearing the other processes' announcements. */
  start(): Promise<void> {
    return this.live.start();
  }

  stop(): Promise<void> {
    return this.live.stop();
  }

  /** Read-modify-write one chat with no other write to it in between (in any process). */
  mutate<T>(chatId: string, change: (chat: Chat | undefined) => Promise<T>): Promise<T> {
    return this.repo.mutate(chatId, change);
  }

  /** To this process's agents now, and to the other processes' through the store. */
  announce(event: ConsoleEventName, data: unknown): void {
    this.hub.broadcast(event, data);
    this.live.publish({ event, data });
  }

  /** The chat with its messages, as agents get it. */
  async record(chat: Chat): Promise<ChatRecord> {
    return toRecord(chat, await this.repo.messages(chat));
  }

  /** End the chat here: its status, when and why, and a system line saying so. */
  async close(chat: Chat, reason: EndReason, text: string): Promise<void> {
    const now = this.clock.now();
    if (chat.status === 'queued') await this.repo.setQueued(chat.id, false);
    chat.status = 'ended';
    chat.endedAt = now;
    chat.endedReason = reason;
    const line = this.systemLine(text, now);
    // Appended as ended: the messages get the ended chat's shorter TTL with it.
    await this.repo.append(chat, line);
    await this.repo.put(chat, { listed: true });
    this.announce('chat.updated', { chat: summarize(chat) });
    this.announce('message.created', { chatId: chat.id, message: line });
  }

  /** Mark an agent message the user may not have; a failure is logged (the agent is told anyway). */
  async markUndelivered(chatId: string, message: ChatMessage): Promise<void> {
    try {
      await this.mutate(chatId, async (chat) => {
        if (!chat) return;
        // The message list is append-only: the mark goes on the chat (see `toRecord`).
        if (!chat.undelivered?.includes(message.id)) chat.undelivered = [...(chat.undelivered ?? []), message.id];
        await this.repo.put(chat, { listed: true });
        this.announce('message.updated', { chatId, message: { ...message, undelivered: true } });
      });
    } catch (e) {
      this.logger.error({ err: e, sessionId: chatId }, 'console: could not mark a message undelivered');
    }
  }

  /** A line from the console itself ("… joined the chat"), in the chat's log. */
  systemLine(text: string, at: number): ChatMessage {
    return { id: this.ids(), from: 'system', text, private: false, at };
  }
}
