/**
 * What agents do in the console (called by the console routes through `ConsoleDesk`): accept a
 * chat, write in it (text, private notes, files), end it, type. Each change is saved and announced
 * under the chat's write lock (`ChatWriter`); what the user must hear goes to the sink through the
 * outbox, and an agent message the user may not have got is marked and reported to the agent.
 */
import type { AgentInfo, Clock, Logger } from '../../../bots/core/ports';
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import type { FileVault } from '../../../bots/core/file-vault';
import { type Chat, type ChatAttachment, type ChatMessage, type ChatRecord, hasJoined, summarize } from './chat-record';
import type { ChatRepo } from './chat-repo';
import type { ChatWriter } from './chat-writer';
import { DELIVERED, type Delivery, type EventOutbox } from '../kit/event-outbox';
import { type AgentUpload, type ConsoleFileLimits, checkFileMeta, checkFileSize } from './agent-files';

export interface AgentPost {
  text: string;
  private?: boolean;
}

export interface AgentActionsDeps {
  clock: Clock;
  logger: Logger;
  ids: () => string;
  repo: ChatRepo;
  writer: ChatWriter;
  outbox: EventOutbox;
  files?: FileVault;
  fileLimits: ConsoleFileLimits;
}

export class AgentActions {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly ids: () => string;
  private readonly repo: ChatRepo;
  private readonly writer: ChatWriter;
  private readonly outbox: EventOutbox;
  private readonly vault?: FileVault;
  private readonly fileLimits: ConsoleFileLimits;

  constructor(deps: AgentActionsDeps) {
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.ids = deps.ids;
    this.repo = deps.repo;
    this.writer = deps.writer;
    this.outbox = deps.outbox;
    this.vault = deps.files;
    this.fileLimits = deps.fileLimits;
  }

  async accept(agent: AgentInfo, chatId: string): Promise<ChatRecord> {
    const { chat, delivery } = await this.writer.mutate(chatId, async (chat) => {
      if (!chat) throw notFound(chatId);
      if (chat.status === 'ended') throw new BridgeError(ErrorCode.Conflict, 'This chat has ended.');
      // Accepting twice (a double click, a retry) changes nothing.
      if (hasJoined(chat, agent.id)) return { chat: await this.writer.record(chat), delivery: DELIVERED };
      const now = this.clock.now();
      if (chat.status === 'queued') await this.repo.setQueued(chatId, false);
      chat.status = 'live';
      chat.acceptedAt ??= now;
      chat.agents.push(agentInfo(agent));
      const line = this.writer.systemLine(`${agent.name} joined the chat`, now);
      await this.repo.append(chat, line);
      await this.repo.put(chat, { listed: true });
      this.writer.announce('chat.updated', { chat: summarize(chat) });
      this.writer.announce('message.created', { chatId, message: line });
      const record = await this.writer.record(chat);
      return { chat: record, delivery: this.outbox.deliver({ type: 'agentJoined', sessionId: chatId, agent: agentInfo(agent) }) };
    });
    const outcome = await delivery;
    if (!outcome.ok) this.logger.warn({ sessionId: chatId, agentId: agent.id }, 'console: could not tell the user an agent joined');
    return chat;
  }

  async postMessage(agent: AgentInfo, chatId: string, post: AgentPost): Promise<ChatMessage> {
    const isPrivate = post.private === true;
    const { message, delivery } = await this.writer.mutate(chatId, async (found) => {
      const chat = writable(found, agent, chatId);
      const message: ChatMessage = {
        id: this.ids(),
        from: 'agent',
        agentId: agent.id,
        agentName: agent.name,
        text: post.text,
        private: isPrivate,
        at: this.clock.now(),
      };
      await this.repo.append(chat, message);
      await this.repo.put(chat, { listed: true });
      this.writer.announce('message.created', { chatId, message });
      // Private notes are for agents only: they never go to the sink.
      const delivery = isPrivate
        ? DELIVERED
        : this.outbox.deliver({ type: 'agentMessage', sessionId: chatId, agent: agentInfo(agent), messageId: message.id, text: post.text });
      return { message, delivery };
    });
    return this.settle(chatId, message, await delivery);
  }

  /**
   * Checks an upload before its body is read: the chat is live and the agent is in it.
   * `postFile` checks again under the chat's write lock; this only saves reading a body for nothing.
   */
  async assertCanPost(agent: AgentInfo, chatId: string): Promise<void> {
    writable(await this.repo.get(chatId), agent, chatId);
  }

  /**
   * An agent sends a file: kept in the FileVault, recorded on the chat, and reported to the sink
   * as an `agentMessage` whose file's `url` is the vault URL. Refused (nothing stored) when too
   * large (413), of a type not allowed (415), or with a bad name (400).
   */
  async postFile(agent: AgentInfo, chatId: string, upload: AgentUpload): Promise<ChatMessage> {
    const vault = this.vault;
    if (!vault) throw new BridgeError(ErrorCode.FileRejected, 'Sending files is not available on this console.', { status: 501 });
    checkFileMeta(upload.name, upload.contentType, this.fileLimits);
    checkFileSize(upload.bytes.byteLength, this.fileLimits);
    const text = upload.text ?? '';
    const { message, delivery } = await this.writer.mutate(chatId, async (found) => {
      const chat = writable(found, agent, chatId);
      const ref = await vault.put(chatId, { name: upload.name, contentType: upload.contentType }, upload.bytes);
      const file: ChatAttachment = {
        name: ref.name,
        contentType: ref.contentType,
        size: ref.size ?? upload.bytes.byteLength,
        url: ref.url ?? '',
      };
      const message: ChatMessage = {
        id: this.ids(),
        from: 'agent',
        agentId: agent.id,
        agentName: agent.name,
        text,
        private: false,
        at: this.clock.now(),
        files: [file],
      };
      await this.repo.append(chat, message);
      await this.repo.put(chat, { listed: true });
      this.writer.announce('message.created', { chatId, message });
      const delivery = this.outbox.deliver({
        type: 'agentMessage',
        sessionId: chatId,
        agent: agentInfo(agent),
        messageId: message.id,
        text,
        // No bytes: the broker reads them from the vault for surfaces that upload.
        files: [{ name: file.name, contentType: file.contentType, size: file.size, url: file.url }],
      });
      return { message, delivery };
    });
    return this.settle(chatId, message, await delivery);
  }

  async end(agent: AgentInfo, chatId: string): Promise<ChatRecord> {
    const { chat, delivery } = await this.writer.mutate(chatId, async (chat) => {
      if (!chat) throw notFound(chatId);
      // Ending twice is harmless: the chat is already where the agent wants it.
      if (chat.status === 'ended') return { chat: await this.writer.record(chat), delivery: DELIVERED };
      // Anyone may close a queued request (spam, a duplicate); a live chat belongs to its agents.
      if (chat.status === 'live' && !hasJoined(chat, agent.id)) throw forbidden('Only agents in this chat can end it.');
      await this.writer.close(chat, 'agent_ended', `${agent.name} ended the chat`);
      const record = await this.writer.record(chat);
      return { chat: record, delivery: this.outbox.deliver({ type: 'ended', sessionId: chatId, reason: 'agent_ended' }) };
    });
    const outcome = await delivery;
    if (!outcome.ok) this.logger.warn({ sessionId: chatId, agentId: agent.id }, 'console: could not tell the user the chat ended');
    return chat;
  }

  async typing(agent: AgentInfo, chatId: string): Promise<void> {
    const chat = await this.repo.get(chatId);
    if (!chat) throw notFound(chatId);
    // Best-effort: typing in a chat one has not joined, or that ended, is silently dropped.
    if (chat.status !== 'live' || !hasJoined(chat, agent.id)) return;
    this.writer.announce('typing', { chatId, from: 'agent', agent: agentInfo(agent) });
    await this.outbox.deliver({ type: 'typing', sessionId: chatId, agent: agentInfo(agent), on: true });
  }

  // -------------------------------------------------------------------------------------------

  /** An agent message is saved either way; when the user may not have it, say so and mark it. */
  private async settle(chatId: string, message: ChatMessage, outcome: Delivery): Promise<ChatMessage> {
    if (outcome.ok) return message;
    await this.writer.markUndelivered(chatId, message);
    throw new BridgeError(
      ErrorCode.SurfaceSendFailed,
      'Your message was saved here, but the user may not have received it. Try again or tell them another way.',
      {
        retryable: true,
        cause: outcome.error,
      },
    );
  }
}

/** Only the public parts: avatar included only when configured. */
function agentInfo(agent: AgentInfo): AgentInfo {
  return { id: agent.id, name: agent.name, ...(agent.avatarUrl ? { avatarUrl: agent.avatarUrl } : {}) };
}

/** The chat, if an agent may write in it now. */
function writable(chat: Chat | undefined, agent: AgentInfo, chatId: string): Chat {
  if (!chat) throw notFound(chatId);
  if (chat.status === 'ended') throw new BridgeError(ErrorCode.Conflict, 'This chat has ended; the user will not see new messages.');
  if (!hasJoined(chat, agent.id)) throw forbidden('Accept (join) this chat before writing in it.');
  return chat;
}

export function notFound(chatId: string): BridgeError {
  return new BridgeError(ErrorCode.NotFound, `No chat ${chatId}.`);
}

/**
 * The port has no `forbidden` code yet: this is a conflict with the agent's role in the chat,
 * answered with 403 (the edge honours `status`).
 */
function forbidden(message: string): BridgeError {
  return new BridgeError(ErrorCode.Forbidden, message, { status: 403, details: { reason: 'not_joined' } });
}
