/**
 * Amazon Connect as a stream desk: chats start with StartChatContact and are written to over the
 * Participant Service (REST, any process); each chat's events come over a WebSocket of its own,
 * opened by whichever process the core's `ChatStreamOwner` gives the chat to (chat-stream.ts).
 * The contact, our participant and its tokens live in the Store (chat-record.ts) for that reason.
 *
 * Calls to Connect for one chat go out one at a time (`ChatOutbox`), user messages once per
 * message id (`MarkSet`), each with a ClientToken so the SDK-level repeat of a lost answer is
 * one message at Connect too.
 */
import { StartChatContactCommand } from '@aws-sdk/client-connect';
import { DisconnectParticipantCommand, SendEventCommand, SendMessageCommand } from '@aws-sdk/client-connectparticipant';
import type { ChatStream, ChatStreamEvents, StreamDesk } from '../../../bots/core/chat-streams';
import type { FileVault } from '../../../bots/core/file-vault';
import { asBridgeError, BridgeError, ErrorCode, isBridgeError } from '../../../bots/core/errors';
import type {
  Availability,
  Clock,
  DeskEvent,
  DeskEventSink,
  EndReason,
  Logger,
  OpenChatRequest,
  Store,
  UserMessage,
} from '../../../bots/core/ports';
import type { ChatRepo } from '../kit/chat-repo';
import { ChatOutbox } from '../kit/chat-queues';
import { MarkSet } from '../kit/marks';
import { ConnectAttachments } from './attachments';
import { ConnectAvailability } from './availability';
import { AwsCalls } from './aws-calls';
import { type ConnectChat, connectChatRepo } from './chat-record';
import { ChatSocket } from './chat-socket';
import { ConnectChatStream } from './chat-stream';
import type { AmazonConnectSettings } from './config';
import { EVENTS, type ChatItem } from './items';
import { contactAttributes, historyMessages, initialMessage, splitText } from './opening';
import { ParticipantCalls, type WebsocketConnection } from './participant';

export interface AmazonConnectDeskDeps {
  settings: AmazonConnectSettings;
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Where agents' files are kept for the surfaces (a bridge URL, the bytes); absent: bytes only. */
  files?: FileVault;
  /** `bot.files.maxBytes`: agents' files obey the users' limit. */
  fileMaxBytes?: number;
  fetch?: typeof fetch;
  random?: () => number;
}

/** Connect's ClientToken is at most 500 characters. */
const clientToken = (...parts: string[]) => parts.join(':').slice(0, 500);

export class AmazonConnectDesk implements StreamDesk {
  readonly name = 'amazon-connect';
  readonly calls: AwsCalls;
  private readonly repo: ChatRepo<ConnectChat>;
  private readonly outbox = new ChatOutbox();
  private readonly sent: MarkSet;
  private readonly availability: ConnectAvailability;
  private readonly attachments: ConnectAttachments;
  private readonly participants: ParticipantCalls;
  private sink?: DeskEventSink;
  private readonly settings: AmazonConnectSettings;

  constructor(private readonly deps: AmazonConnectDeskDeps) {
    this.settings = deps.settings;
    this.calls = new AwsCalls(deps.settings, deps);
    this.repo = connectChatRepo(deps.store, deps.settings.chatTtlHours);
    this.sent = new MarkSet(deps.store, 'amazon-connect', 'sent');
    this.availability = new ConnectAvailability(deps.settings, this.calls, deps.clock, deps.logger);
    this.attachments = new ConnectAttachments(this.calls, deps.fetch ?? fetch);
    this.participants = new ParticipantCalls(this.calls);
  }

  async start(sink: DeskEventSink): Promise<void> {
    // Agents' events come over each chat's stream (to the owner); this sink only says which user files Connect would refuse.
    this.sink = sink;
  }

  async stop(): Promise<void> {
    await this.outbox.drain();
    this.calls.destroy();
  }

  checkAvailability(): Promise<Availability> {
    return this.availability.check();
  }

  async openChat(request: OpenChatRequest): Promise<void> {
    const max = this.settings.messageMaxChars;
    const name = [...(request.user.name || this.settings.defaultCustomerName)].slice(0, 256).join('');
    // ClientToken = our session id: a retried start is the same contact, never a second one.
    const started = await this.calls.run('StartChatContact', 'safe', () =>
      this.calls.connect.send(
        new StartChatContactCommand({
          InstanceId: this.settings.instanceId,
          ContactFlowId: this.settings.contactFlowId,
          ParticipantDetails: { DisplayName: name },
          ClientToken: clientToken(request.sessionId),
          Attributes: contactAttributes(request, this.settings.attributes),
          InitialMessage: { ContentType: 'text/plain', Content: initialMessage(request, max) },
          SupportedMessagingContentTypes: ['text/plain', 'text/markdown'],
          ...(this.settings.chatDurationMinutes ? { ChatDurationInMinutes: this.settings.chatDurationMinutes } : {}),
        }),
      ),
    );
    if (!started.ContactId || !started.ParticipantId || !started.ParticipantToken) {
      throw new BridgeError(ErrorCode.DeskRejected, 'Amazon Connect StartChatContact answered without a contact or participant');
    }
    const connectionToken = await this.participants.connect(started.ParticipantToken, true);
    const chat: ConnectChat = {
      contactId: started.ContactId,
      participantId: started.ParticipantId,
      participantToken: started.ParticipantToken,
      connectionToken,
    };
    await this.repo.put(request.sessionId, chat);
    // The history as the chat's first messages after the opening, within Connect's message size.
    const history = historyMessages(request, max);
    for (const [i, text] of history.entries()) {
      await this.send(request.sessionId, 'text/plain', text, clientToken(request.sessionId, 'history', String(i)));
    }
  }

  async sendMessage(sessionId: string, message: UserMessage): Promise<void> {
    const chat = await this.repo.get(sessionId);
    if (!chat || chat.endedByUs) throw new BridgeError(ErrorCode.UnknownSession, `no Amazon Connect chat for session ${sessionId}`);
    const refused: { messageId: string; text: string }[] = [];
    await this.sent.once([sessionId, message.messageId], () =>
      this.outbox.send(sessionId, async () => {
        const parts = message.text ? splitText(message.text, this.settings.messageMaxChars) : [];
        for (const [i, text] of parts.entries()) {
          await this.send(sessionId, this.settings.messageContentType, text, clientToken(message.messageId, String(i)));
        }
        for (const [i, file] of (message.files ?? []).entries()) {
          try {
            if (!this.settings.attachments.enabled) throw new BridgeError(ErrorCode.FileRejected, 'The agent desk does not take files.');
            await this.attachments.upload(
              () => this.token(sessionId),
              file,
              clientToken(message.messageId, 'file', String(i)),
              () => this.renew(sessionId),
            );
          } catch (e) {
            if (!isBridgeError(e, ErrorCode.FileRejected)) throw e;
            refused.push({ messageId: `${message.messageId}:refused:${i}`, text: `${file.name} was not sent to the agent: ${e.message}` });
          }
        }
      }),
    );
    // The text and the other files went; a refused file is explained on its own (a sink call made
    // inside the broker's sendMessage settles once queued, so awaiting it here cannot deadlock).
    for (const notice of refused) await this.sink?.({ type: 'systemMessage', sessionId, ...notice });
  }

  async sendTyping(sessionId: string): Promise<void> {
    const chat = await this.repo.get(sessionId);
    if (!chat || chat.endedByUs) return;
    // One attempt: a late typing signal is worse than none.
    await this.outbox.send(sessionId, () =>
      this.calls.run('SendEvent', 'never', () =>
        this.calls.participant.send(new SendEventCommand({ ConnectionToken: chat.connectionToken, ContentType: EVENTS.typing })),
      ),
    );
  }

  async endChat(sessionId: string, _reason: EndReason): Promise<void> {
    const chat = await this.repo.mutate(sessionId, async (current) => {
      if (!current || current.endedByUs) return undefined;
      // Recorded first: the `chat.ended` Connect answers with is then known to be ours.
      await this.repo.put(sessionId, { ...current, endedByUs: true });
      return current;
    });
    if (!chat) return;
    await this.outbox.send(sessionId, async () => {
      try {
        await this.calls.run(
          'DisconnectParticipant',
          'safe',
          async () => this.calls.participant.send(new DisconnectParticipantCommand({ ConnectionToken: await this.token(sessionId) })),
          () => this.renew(sessionId),
        );
      } catch (e) {
        // Refused with a fresh token too: Connect has ended the chat already.
        if (!isBridgeError(e, ErrorCode.DeskAuthFailed) && !isBridgeError(e, ErrorCode.UnknownSession)) throw e;
      }
    });
  }

  async openStream(sessionId: string, cursor: string | undefined, events: ChatStreamEvents): Promise<ChatStream> {
    const chat = await this.repo.get(sessionId);
    if (!chat || chat.endedByUs) throw new BridgeError(ErrorCode.UnknownSession, `no Amazon Connect chat for session ${sessionId}`);
    let connection: WebsocketConnection;
    try {
      connection = await this.participants.connectWebsocket(chat.participantToken);
    } catch (e) {
      // The ParticipantToken refused: Connect no longer knows the chat.
      if (isBridgeError(e, ErrorCode.DeskAuthFailed))
        throw new BridgeError(ErrorCode.UnknownSession, `Amazon Connect ended chat ${chat.contactId}`, { cause: e });
      throw e;
    }
    const token = connection.connectionToken;
    await this.repo.mutate(sessionId, async (c) => {
      if (c) await this.repo.put(sessionId, { ...c, connectionToken: token });
    });
    const stream = new ConnectChatStream(
      {
        sessionId,
        participantId: chat.participantId,
        logger: this.deps.logger,
        transcript: (after) => this.participants.transcript(token, after),
        files: (item, agent) => this.agentFiles(sessionId, token, item, agent),
        endedByUs: async () => (await this.repo.get(sessionId))?.endedByUs === true,
        delivered: (messageId) => {
          if (this.settings.deliveryReceipts) this.participants.receipt(token, messageId);
        },
      },
      events,
    );
    const socket = new ChatSocket(connection.url, this.deps.clock, this.settings.heartbeatSeconds * 1000, {
      item: (item) => stream.onItem(item),
      ended: (reason) => stream.onSocketEnded(reason),
      unreadable: (frame) => this.deps.logger.warn({ sessionId, frame: frame.slice(0, 200) }, 'amazon-connect: unreadable frame ignored'),
    });
    try {
      await socket.open(connection.expiresAt);
      await stream.start(socket, cursor);
    } catch (e) {
      await socket.close();
      throw e;
    }
    return stream;
  }

  // --- Participant Service -----------------------------------------------------------------------

  /** The stored ConnectionToken (renewed by whichever process found it refused). */
  private async token(sessionId: string): Promise<string> {
    const chat = await this.repo.get(sessionId);
    if (!chat) throw new BridgeError(ErrorCode.UnknownSession, `no Amazon Connect chat for session ${sessionId}`);
    return chat.connectionToken;
  }

  private async renew(sessionId: string): Promise<void> {
    const chat = await this.repo.get(sessionId);
    if (!chat) throw new BridgeError(ErrorCode.UnknownSession, `no Amazon Connect chat for session ${sessionId}`);
    const connectionToken = await this.participants.connect(chat.participantToken);
    await this.repo.mutate(sessionId, async (c) => {
      if (c) await this.repo.put(sessionId, { ...c, connectionToken });
    });
  }

  private async send(sessionId: string, contentType: string, text: string, token: string): Promise<void> {
    await this.calls.run(
      'SendMessage',
      'safe',
      async () =>
        this.calls.participant.send(
          new SendMessageCommand({
            ConnectionToken: await this.token(sessionId),
            ContentType: contentType,
            Content: text,
            ClientToken: token,
          }),
        ),
      () => this.renew(sessionId),
    );
  }

  private async agentFiles(sessionId: string, token: string, item: ChatItem, agent: { id: string; name: string }): Promise<DeskEvent> {
    const messageId = item.Id ?? '';
    const attachment = item.Attachments?.[0];
    const name = attachment?.AttachmentName ?? 'file';
    try {
      if (!attachment?.AttachmentId || !this.settings.attachments.enabled)
        throw new BridgeError(ErrorCode.FileRejected, 'attachments are off');
      const file = await this.attachments.download(
        token,
        attachment.AttachmentId,
        name,
        attachment.ContentType ?? item.ContentType ?? 'application/octet-stream',
        this.deps.fileMaxBytes ?? 20 * 1024 * 1024,
      );
      const kept = this.deps.files && file.content ? await this.deps.files.put(sessionId, file, file.content) : file;
      return { type: 'agentMessage', sessionId, agent, messageId, text: '', files: [kept] };
    } catch (e) {
      this.deps.logger.warn({ err: asBridgeError(e), sessionId }, 'amazon-connect: an agent file could not be fetched');
      return { type: 'systemMessage', sessionId, messageId, text: `${agent.name} sent a file (${name}) that could not be delivered here.` };
    }
  }
}
