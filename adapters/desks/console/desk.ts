/**
 * The built-in agent console as a `Desk`: chats queue here, agents accept and answer them in the
 * web page served by `routes.ts`, and the bridge relays between them and employees.
 *
 * All chat state is in the `Store` (see `chat-repo.ts`: a small record per chat, its messages in
 * an append-only list); only open event streams and the
 * per-chat write queues live in this process. Writes to one chat run one at a time
 * (`KeyedQueue` here, a Store lease across processes: `chat-lock.ts`); agents' stream events
 * reach every process's agents (`LiveChannel`), and so does who is online (`presence.ts`). Events to the sink go through a second per-chat queue, outside the write
 * lock, so a sink that calls back into the desk (say, `endChat` when a send fails) cannot
 * deadlock, while events still reach it in the order they happened.
 */
import { randomUUID } from 'node:crypto';
import type {
  AgentInfo,
  Availability,
  Clock,
  Desk,
  DeskEvent,
  DeskEventSink,
  EndReason,
  Logger,
  OpenChatRequest,
  Store,
  UserMessage,
} from '../../../bots/core/ports';
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import { formatBytes, typeAllowed, type FileVault } from '../../../bots/core/file-vault';
import { AgentDirectory, type GeneratedAgent } from './agents';
import { type Chat, type ChatAttachment, type ChatMessage, type ChatRecord, type ChatSummary, endedLine, hasJoined, newChat, summarize, toRecord } from './chat-record';
import { ChatRepo, DEFAULT_OPEN_TTL_MS } from './chat-repo';
import type { ConsoleDeskSettings } from './config';
import { KeyedQueue } from '../../../bots/core/keyed-queue';
import { AgentEventHub, type ConsoleEventName, type EventStream } from './sse';
import { ChatLocks } from './chat-lock';
import { AgentPresence } from './presence';
import { LiveChannel } from '../../../bots/core/live-channel';

/** Where agents' stream events go to the other processes (namespaced by the store). */
export const CONSOLE_EVENTS_CHANNEL = 'console:events';

export interface ConsoleDeskDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  settings: ConsoleDeskSettings;
  /**
   * Where files agents send are kept and served from (`/files/<id>/<name>`). Without it the
   * console shows the user's files but agents cannot send any.
   */
  files?: FileVault;
  /** Limits on files agents send (the bridge's `bot.files`); default 20 MB, any type. */
  fileLimits?: ConsoleFileLimits;
  /** Message ids; random UUIDs unless a test wants predictable ones. */
  ids?: () => string;
  /**
   * Write agents' stream events at the end of each event-loop turn, several per socket write
   * (see `AgentEventHubOptions.coalesce`). The bridge turns it on; off, each goes out at once.
   */
  coalesceEvents?: boolean;
}

export interface ConsoleFileLimits {
  maxBytes: number;
  /** MIME types, `image/*` wildcards allowed; empty allows any type. */
  allowedTypes: readonly string[];
}

export const DEFAULT_FILE_LIMITS: ConsoleFileLimits = { maxBytes: 20 * 1024 * 1024, allowedTypes: [] };

export interface AgentPost {
  text: string;
  private?: boolean;
}

/** A file an agent sends to the user, with an optional caption. */
export interface AgentUpload {
  name: string;
  contentType: string;
  bytes: Uint8Array;
  text?: string;
}

/** Whether a sink delivery worked; never rejects, so a pending delivery cannot go unhandled. */
type Delivery = { ok: true } | { ok: false; error: unknown };
const DELIVERED: Promise<Delivery> = Promise.resolve({ ok: true });

export class ConsoleDesk implements Desk {
  readonly name = 'console';
  /** Set when no agents were configured: print its token with the console URL at start-up. */
  readonly generatedAgent?: GeneratedAgent;
  readonly logger: Logger;

  private readonly store: Store;
  private readonly clock: Clock;
  private readonly ids: () => string;
  private readonly agents: AgentDirectory;
  private readonly repo: ChatRepo;
  private readonly hub: AgentEventHub;
  private readonly locks: ChatLocks;
  private readonly live: LiveChannel<{ event: ConsoleEventName; data: unknown }>;
  private readonly presence: AgentPresence;
  private readonly writes = new KeyedQueue();
  private readonly outbox = new KeyedQueue();
  private readonly recentMs: number;
  private readonly vault?: FileVault;
  readonly fileLimits: ConsoleFileLimits;
  private sink?: DeskEventSink;

  constructor(deps: ConsoleDeskDeps) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.ids = deps.ids ?? randomUUID;
    this.agents = new AgentDirectory(deps.settings.agents);
    this.generatedAgent = this.agents.generated;
    this.recentMs = deps.settings.recentChatsHours * 60 * 60 * 1000;
    this.repo = new ChatRepo(this.store, { openMs: DEFAULT_OPEN_TTL_MS, endedMs: this.recentMs });
    this.hub = new AgentEventHub(this.clock, this.logger, { coalesce: deps.coalesceEvents });
    this.locks = new ChatLocks({ store: this.store, clock: this.clock, logger: this.logger });
    this.live = new LiveChannel({ store: this.store, logger: this.logger, channel: CONSOLE_EVENTS_CHANNEL }, ({ event, data }) => this.hub.broadcast(event, data));
    this.presence = new AgentPresence(this.store, this.clock, this.logger, () => this.hub.agentIds());
    this.vault = deps.files;
    this.fileLimits = deps.fileLimits ?? DEFAULT_FILE_LIMITS;
  }

  // -------------------------------------------------------------------------------------------
  // Desk port: called by the broker
  // -------------------------------------------------------------------------------------------

  async start(sink: DeskEventSink): Promise<void> {
    this.sink = sink;
    await this.live.start();
  }

  async stop(): Promise<void> {
    this.hub.closeAll();
    await Promise.all([this.live.stop(), this.presence.stop()]);
  }

  async checkAvailability(): Promise<Availability> {
    const agentsOnline = await this.presence.count();
    return { available: agentsOnline > 0, agentsOnline };
  }

  async openChat(request: OpenChatRequest): Promise<void> {
    const id = request.sessionId;
    const { delivery } = await this.mutate(id, async (current) => {
      if (current && current.status !== 'ended') {
        throw new BridgeError(ErrorCode.Conflict, `console: chat ${id} is already open`);
      }
      const chat = newChat(request, this.clock.now());
      // An ended chat opened again under its id starts afresh.
      if (current) await this.repo.clearMessages(id);
      // Always (re)listed: adding is idempotent, and an old index may have dropped an ended id.
      await this.repo.put(chat, { listed: false });
      this.announce('chat.created', { chat: summarize(chat) });
      // Queued inside the write lock so it reaches the sink before any agentJoined for this chat;
      // wrapped, so the lock is not held while the sink works.
      return { delivery: this.deliver({ type: 'queued', sessionId: id, position: await this.repo.setQueued(id, true) }) };
    });
    // The chat exists either way: failing here would leave agents a chat the broker gave up on.
    if (!(await delivery).ok) this.logger.warn({ sessionId: id }, 'console: could not report the queue position');
  }

  async sendMessage(sessionId: string, message: UserMessage): Promise<void> {
    await this.mutate(sessionId, async (chat) => {
      if (!chat || chat.status === 'ended') {
        throw new BridgeError(ErrorCode.UnknownSession, `console: no open chat ${sessionId}`);
      }
      // Surfaces retry; the same message id must be shown to agents once.
      if (!(await this.repo.firstSight(chat, message.messageId))) return;
      const stored: ChatMessage = {
        id: message.messageId,
        from: 'user',
        text: message.text,
        private: false,
        at: message.at,
        ...(message.files?.length
          ? {
              files: message.files.map((f) => ({
                name: f.name,
                contentType: f.contentType,
                ...(f.size !== undefined ? { size: f.size } : {}),
                ...(f.url ? { url: f.url } : {}),
              })),
            }
          : {}),
      };
      try {
        await this.repo.append(chat, stored);
      } catch (e) {
        // Not stored: the retry of this message must not be taken for a duplicate.
        await this.repo.forgetSight(chat, message.messageId).catch(() => undefined);
        throw e;
      }
      await this.repo.put(chat, { listed: true });
      this.announce('message.created', { chatId: chat.id, message: stored });
    });
  }

  async sendTyping(sessionId: string): Promise<void> {
    const chat = await this.repo.get(sessionId);
    // Typing is best-effort: a late indicator for a chat that just ended is not an error.
    if (!chat || chat.status === 'ended') return;
    this.announce('typing', { chatId: sessionId, from: 'user' });
  }

  async endChat(sessionId: string, reason: EndReason): Promise<void> {
    await this.mutate(sessionId, async (chat) => {
      if (!chat) {
        this.logger.info({ sessionId, reason }, 'console: endChat for an unknown chat; nothing to do');
        return;
      }
      if (chat.status === 'ended') return;
      await this.close(chat, reason, endedLine(reason));
    });
  }

  // -------------------------------------------------------------------------------------------
  // Agent side: called by the console routes
  // -------------------------------------------------------------------------------------------

  /** The agent a bearer token belongs to, if any. */
  authenticate(token: string): AgentInfo | undefined {
    return this.agents.byToken(token);
  }

  /** Register an agent's event stream; they count as online until the returned function runs. */
  connectAgent(agent: AgentInfo, stream: EventStream): () => void {
    const disconnect = this.hub.connect(agent.id, stream);
    this.presence.changed();
    stream.send('ready', { agent });
    return () => {
      disconnect();
      this.presence.changed();
    };
  }

  /** Queued, live and recently ended chats, newest first. */
  async listChats(): Promise<ChatSummary[]> {
    const cutoff = this.clock.now() - this.recentMs;
    const chats = await this.repo.list();
    return chats
      .filter((c) => c.status !== 'ended' || (c.endedAt ?? 0) >= cutoff)
      .sort((a, b) => b.createdAt - a.createdAt)
      .map(summarize);
  }

  async getChat(chatId: string): Promise<ChatRecord> {
    const chat = await this.repo.get(chatId);
    if (!chat) throw notFound(chatId);
    return this.record(chat);
  }

  async accept(agent: AgentInfo, chatId: string): Promise<ChatRecord> {
    const { chat, delivery } = await this.mutate(chatId, async (chat) => {
      if (!chat) throw notFound(chatId);
      if (chat.status === 'ended') throw new BridgeError(ErrorCode.Conflict, 'This chat has ended.');
      // Accepting twice (a double click, a retry) changes nothing.
      if (hasJoined(chat, agent.id)) return { chat: await this.record(chat), delivery: DELIVERED };
      const now = this.clock.now();
      if (chat.status === 'queued') await this.repo.setQueued(chatId, false);
      chat.status = 'live';
      chat.acceptedAt ??= now;
      chat.agents.push(agentInfo(agent));
      const line = this.systemLine(`${agent.name} joined the chat`, now);
      await this.repo.append(chat, line);
      await this.repo.put(chat, { listed: true });
      this.announce('chat.updated', { chat: summarize(chat) });
      this.announce('message.created', { chatId, message: line });
      const record = await this.record(chat);
      return { chat: record, delivery: this.deliver({ type: 'agentJoined', sessionId: chatId, agent: agentInfo(agent) }) };
    });
    const outcome = await delivery;
    if (!outcome.ok) this.logger.warn({ sessionId: chatId, agentId: agent.id }, 'console: could not tell the user an agent joined');
    return chat;
  }

  async postMessage(agent: AgentInfo, chatId: string, post: AgentPost): Promise<ChatMessage> {
    const isPrivate = post.private === true;
    const { message, delivery } = await this.mutate(chatId, async (found) => {
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
      this.announce('message.created', { chatId, message });
      // Private notes are for agents only: they never go to the sink.
      const delivery = isPrivate
        ? DELIVERED
        : this.deliver({ type: 'agentMessage', sessionId: chatId, agent: agentInfo(agent), messageId: message.id, text: post.text });
      return { message, delivery };
    });
    return this.settle(chatId, message, await delivery);
  }

  /** Whether agent files can be sent from this console (a FileVault was given). */
  get filesEnabled(): boolean {
    return this.vault !== undefined;
  }

  /** The origin files are served from (for the page's image policy), when files are on. */
  fileOrigin(): string | undefined {
    const url = this.vault?.urlOf({ id: 'x', name: 'x' });
    try {
      return url ? new URL(url).origin : undefined;
    } catch {
      return undefined;
    }
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
    const { message, delivery } = await this.mutate(chatId, async (found) => {
      const chat = writable(found, agent, chatId);
      const ref = await vault.put(chatId, { name: upload.name, contentType: upload.contentType }, upload.bytes);
      const file: ChatAttachment = { name: ref.name, contentType: ref.contentType, size: ref.size ?? upload.bytes.byteLength, url: ref.url ?? '' };
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
      this.announce('message.created', { chatId, message });
      const delivery = this.deliver({
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
    const { chat, delivery } = await this.mutate(chatId, async (chat) => {
      if (!chat) throw notFound(chatId);
      // Ending twice is harmless: the chat is already where the agent wants it.
      if (chat.status === 'ended') return { chat: await this.record(chat), delivery: DELIVERED };
      // Anyone may close a queued request (spam, a duplicate); a live chat belongs to its agents.
      if (chat.status === 'live' && !hasJoined(chat, agent.id)) throw forbidden('Only agents in this chat can end it.');
      await this.close(chat, 'agent_ended', `${agent.name} ended the chat`);
      const record = await this.record(chat);
      return { chat: record, delivery: this.deliver({ type: 'ended', sessionId: chatId, reason: 'agent_ended' }) };
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
    this.announce('typing', { chatId, from: 'agent', agent: agentInfo(agent) });
    await this.deliver({ type: 'typing', sessionId: chatId, agent: agentInfo(agent), on: true });
  }

  // -------------------------------------------------------------------------------------------

  /** An agent message is saved either way; when the user may not have it, say so and mark it. */
  private async settle(chatId: string, message: ChatMessage, outcome: Delivery): Promise<ChatMessage> {
    if (outcome.ok) return message;
    await this.markUndelivered(chatId, message);
    throw new BridgeError(ErrorCode.SurfaceSendFailed, 'Your message was saved here, but the user may not have received it. Try again or tell them another way.', {
      retryable: true,
      cause: outcome.error,
    });
  }

  /** Read-modify-write one chat with no other write to it in between (in any process). */
  private mutate<T>(chatId: string, change: (chat: Chat | undefined) => Promise<T>): Promise<T> {
    return this.writes.run(chatId, () => this.locks.hold(chatId, async () => change(await this.repo.get(chatId))));
  }

  /** To this process's agents now, and to the other processes' through the store. */
  private announce(event: ConsoleEventName, data: unknown): void {
    this.hub.broadcast(event, data);
    this.live.publish({ event, data });
  }

  /** The chat with its messages, as agents get it. */
  private async record(chat: Chat): Promise<ChatRecord> {
    return toRecord(chat, await this.repo.messages(chat));
  }

  private async close(chat: Chat, reason: EndReason, text: string): Promise<void> {
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

  private async markUndelivered(chatId: string, message: ChatMessage): Promise<void> {
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

  private systemLine(text: string, at: number): ChatMessage {
    return { id: this.ids(), from: 'system', text, private: false, at };
  }

  /** Hand an event to the sink, in order per chat. Resolves with the outcome; never rejects. */
  private deliver(event: DeskEvent): Promise<Delivery> {
    return this.outbox.run(event.sessionId, async (): Promise<Delivery> => {
      const sink = this.sink;
      if (!sink) {
        this.logger.error({ sessionId: event.sessionId, type: event.type }, 'console: event before start(); dropped');
        return { ok: false, error: new BridgeError(ErrorCode.DeskUnavailable, 'console desk not started') };
      }
      try {
        await sink(event);
        return { ok: true };
      } catch (error) {
        this.logger.error({ err: error, sessionId: event.sessionId, type: event.type }, 'console: the sink failed');
        return { ok: false, error };
      }
    });
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

/** Longest file name kept (most file systems allow 255). */
export const MAX_FILE_NAME_CHARS = 255;

/** A file name as the user will see it, or why it cannot be one. */
export function fileNameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'The file needs a name.';
  if (name.length > MAX_FILE_NAME_CHARS) return `The file name is too long (${MAX_FILE_NAME_CHARS} characters at most).`;
  if (name !== name.trim()) return 'The file name must not start or end with spaces.';
  if (/[\p{Cc}\p{Cf}\/\\]/u.test(name)) return 'The file name must not contain slashes or control characters.';
  if (name === '.' || name === '..') return 'That is not a file name.';
  return undefined;
}

/** An upload's name and type against the limits; throws the matching 400 or 415. */
export function checkFileMeta(name: string, contentType: string, limits: ConsoleFileLimits): void {
  const problem = fileNameProblem(name);
  if (problem) throw new BridgeError(ErrorCode.BadRequest, problem, { status: 400 });
  if (!typeAllowed(contentType, limits.allowedTypes)) {
    throw new BridgeError(ErrorCode.FileRejected, `Files of type ${contentType} cannot be sent. Allowed: ${limits.allowedTypes.join(', ')}.`, {
      status: 415,
    });
  }
}

/** An upload's size against the limit; throws 413 (too large) or 400 (empty). */
export function checkFileSize(size: number, limits: ConsoleFileLimits): void {
  if (size > limits.maxBytes) throw tooLarge(limits.maxBytes);
  if (size === 0) throw new BridgeError(ErrorCode.BadRequest, 'The file is empty.', { status: 400 });
}

export function tooLarge(maxBytes: number): BridgeError {
  return new BridgeError(ErrorCode.FileRejected, `The file is too large: ${formatBytes(maxBytes)} at most.`, { status: 413 });
}

function notFound(chatId: string): BridgeError {
  return new BridgeError(ErrorCode.NotFound, `No chat ${chatId}.`);
}

/**
 * The port has no `forbidden` code yet: this is a conflict with the agent's role in the chat,
 * answered with 403 (the edge honours `status`).
 */
function forbidden(message: string): BridgeError {
  return new BridgeError(ErrorCode.Forbidden, message, { status: 403, details: { reason: 'not_joined' } });
}
