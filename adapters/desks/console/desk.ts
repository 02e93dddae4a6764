/**
 * The built-in agent console as a `Desk`: chats queue here, agents accept and answer them in the
 * web page served by `routes.ts`, and the bridge relays between them and employees.
 *
 * All chat state is in the `Store` (see `chat-repo.ts`: a small record per chat, its messages in
 * an append-only list); only open event streams and the per-chat queues live in this process.
 * This file is the Desk port (what the broker calls) and what the routes ask of the console; the
 * parts are: `chat-writer.ts` (one write at a time per chat, in any process, and announcing each
 * change to every process's agents), the kit's `EventOutbox` (events to the sink, in order, outside
 * the write lock), `agent-actions.ts` (what agents do), `agent-files.ts` (file limits) and
 * `presence.ts` (who is online, across processes).
 */
import { randomUUID } from 'node:crypto';
import type {
  AgentInfo,
  Availability,
  Clock,
  Desk,
  DeskEventSink,
  EndReason,
  Logger,
  OpenChatRequest,
  Store,
  UserMessage,
} from '../../../bots/core/ports';
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import type { FileVault } from '../../../bots/core/file-vault';
import { AgentDirectory, type GeneratedAgent } from './agents';
import { type ChatMessage, type ChatRecord, type ChatSummary, endedLine, newChat, summarize } from './chat-record';
import { ChatRepo, DEFAULT_OPEN_TTL_MS } from './chat-repo';
import type { ConsoleDeskSettings } from './config';
import { AgentEventHub, type EventStream } from './sse';
import { AgentPresence } from './presence';
import { ChatWriter } from './chat-writer';
import { EventOutbox } from '../kit/event-outbox';
import { AgentActions, type AgentPost, notFound } from './agent-actions';
import { type AgentUpload, type ConsoleFileLimits, DEFAULT_FILE_LIMITS } from './agent-files';

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

export class ConsoleDesk implements Desk {
  readonly name = 'console';
  /** Set when no agents were configured: print its token with the console URL at start-up. */
  readonly generatedAgent?: GeneratedAgent;
  readonly logger: Logger;

  private readonly clock: Clock;
  private readonly agents: AgentDirectory;
  private readonly repo: ChatRepo;
  private readonly hub: AgentEventHub;
  private readonly writer: ChatWriter;
  private readonly outbox: EventOutbox;
  private readonly presence: AgentPresence;
  private readonly actions: AgentActions;
  private readonly recentMs: number;
  private readonly vault?: FileVault;
  readonly fileLimits: ConsoleFileLimits;

  constructor(deps: ConsoleDeskDeps) {
    this.clock = deps.clock;
    this.logger = deps.logger;
    const ids = deps.ids ?? randomUUID;
    this.agents = new AgentDirectory(deps.settings.agents);
    this.generatedAgent = this.agents.generated;
    this.recentMs = deps.settings.recentChatsHours * 60 * 60 * 1000;
    this.repo = new ChatRepo({
      store: deps.store,
      clock: this.clock,
      logger: this.logger,
      ttls: { openMs: DEFAULT_OPEN_TTL_MS, endedMs: this.recentMs },
    });
    this.hub = new AgentEventHub(this.clock, this.logger, { coalesce: deps.coalesceEvents });
    this.writer = new ChatWriter({ store: deps.store, clock: this.clock, logger: this.logger, repo: this.repo, hub: this.hub, ids });
    this.outbox = new EventOutbox('console', this.logger);
    this.presence = new AgentPresence(deps.store, this.clock, this.logger, () => this.hub.agentIds());
    this.vault = deps.files;
    this.fileLimits = deps.fileLimits ?? DEFAULT_FILE_LIMITS;
    this.actions = new AgentActions({
      clock: this.clock,
      logger: this.logger,
      ids,
      repo: this.repo,
      writer: this.writer,
      outbox: this.outbox,
      files: this.vault,
      fileLimits: this.fileLimits,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Desk port: called by the broker
  // -------------------------------------------------------------------------------------------

  async start(sink: DeskEventSink): Promise<void> {
    this.outbox.start(sink);
    await this.writer.start();
  }

  async stop(): Promise<void> {
    this.hub.closeAll();
    await Promise.all([this.writer.stop(), this.presence.stop()]);
  }

  async checkAvailability(): Promise<Availability> {
    const agentsOnline = await this.presence.count();
    return { available: agentsOnline > 0, agentsOnline };
  }

  async openChat(request: OpenChatRequest): Promise<void> {
    const id = request.sessionId;
    const { delivery } = await this.writer.mutate(id, async (current) => {
      if (current && current.status !== 'ended') {
        throw new BridgeError(ErrorCode.Conflict, `console: chat ${id} is already open`);
      }
      const chat = newChat(request, this.clock.now());
      // An ended chat opened again under its id starts afresh.
      if (current) await this.repo.clearMessages(id);
      // Always (re)listed: adding is idempotent, and an old index may have dropped an ended id.
      await this.repo.put(chat, { listed: false });
      this.writer.announce('chat.created', { chat: summarize(chat) });
      // Queued inside the write lock so it reaches the sink before any agentJoined for this chat;
      // wrapped, so the lock is not held while the sink works.
      return { delivery: this.outbox.deliver({ type: 'queued', sessionId: id, position: await this.repo.setQueued(id, true) }) };
    });
    // The chat exists either way: failing here would leave agents a chat the broker gave up on.
    if (!(await delivery).ok) this.logger.warn({ sessionId: id }, 'console: could not report the queue position');
  }

  async sendMessage(sessionId: string, message: UserMessage): Promise<void> {
    await this.writer.mutate(sessionId, async (chat) => {
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
      this.writer.announce('message.created', { chatId: chat.id, message: stored });
    });
  }

  async sendTyping(sessionId: string): Promise<void> {
    const chat = await this.repo.get(sessionId);
    // Typing is best-effort: a late indicator for a chat that just ended is not an error.
    if (!chat || chat.status === 'ended') return;
    this.writer.announce('typing', { chatId: sessionId, from: 'user' });
  }

  async endChat(sessionId: string, reason: EndReason): Promise<void> {
    await this.writer.mutate(sessionId, async (chat) => {
      if (!chat) {
        this.logger.info({ sessionId, reason }, 'console: endChat for an unknown chat; nothing to do');
        return;
      }
      if (chat.status === 'ended') return;
      await this.writer.close(chat, reason, endedLine(reason));
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
    return this.writer.record(chat);
  }

  accept(agent: AgentInfo, chatId: string): Promise<ChatRecord> {
    return this.actions.accept(agent, chatId);
  }

  postMessage(agent: AgentInfo, chatId: string, post: AgentPost): Promise<ChatMessage> {
    return this.actions.postMessage(agent, chatId, post);
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

  /** See `AgentActions.assertCanPost`: saves reading an upload's body for nothing. */
  assertCanPost(agent: AgentInfo, chatId: string): Promise<void> {
    return this.actions.assertCanPost(agent, chatId);
  }

  postFile(agent: AgentInfo, chatId: string, upload: AgentUpload): Promise<ChatMessage> {
    return this.actions.postFile(agent, chatId, upload);
  }

  end(agent: AgentInfo, chatId: string): Promise<ChatRecord> {
    return this.actions.end(agent, chatId);
  }

  typing(agent: AgentInfo, chatId: string): Promise<void> {
    return this.actions.typing(agent, chatId);
  }
}
