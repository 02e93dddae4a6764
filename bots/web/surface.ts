/**
 * The web chat as a `Surface`. A send appends to the user's message log in the Store (so a
 * reload, another tab or another process sees it) and pushes it to the user's open event
 * streams; an update replaces the logged entry and pushes that. Cards are rendered here with the
 * same Adaptive Card templates Teams uses, and the browser draws that JSON with the
 * `adaptivecards` renderer.
 *
 * Address: `{ userId }`. Sent message ref: `{ messageId }` (the log entry id).
 */
import { randomUUID } from 'node:crypto';
import { renderAdaptiveCard, type RenderOptions } from '../../cards/adaptive';
import { viewFallbackText } from '../../cards/view-text';
import { BridgeError, ErrorCode } from '../core/errors';
import { FileRefusedError } from '../core/file-refusal';
import type { FileVault } from '../core/file-vault';
import type { Address, AgentInfo, FileRef, Logger, OutboundContent, SentRef, Surface } from '../core/ports';
import type { MessageLog } from './message-log';
import type { UserStreams } from './event-stream';
import type { ChatEntry, ChatFile, ChatState } from './wire';
import { TypingShown } from './typing';

export interface WebSurfaceOptions {
  log: MessageLog;
  streams: UserStreams;
  files: FileVault;
  logger: Logger;
  now: () => number;
  render?: RenderOptions;
  /** The user's agent chat phase, sent along with every entry for the page's hint line. */
  chatState: (userId: string) => Promise<ChatState>;
}

/** The rendered parts of an entry: what `update` replaces. */
type Body = Pick<ChatEntry, 'from' | 'text' | 'agent' | 'files' | 'card' | 'cardText'>;

export class WebSurface implements Surface {
  readonly kind = 'web' as const;
  private readonly render: RenderOptions;
  private readonly typing = new TypingShown();

  constructor(private readonly options: WebSurfaceOptions) {
    this.render = options.render ?? {};
  }

  async send(address: Address, content: OutboundContent): Promise<SentRef> {
    const userId = userIdOf(address);
    const body = await this.body(userId, content);
    if (!body.text && !body.card && !body.files?.length) {
      throw new BridgeError(ErrorCode.SurfaceSendFailed, 'nothing to send: no text, card or deliverable file', { retryable: false });
    }
    const { entry } = await this.options.log.append(userId, (rev) => ({
      entry: { id: randomUUID(), rev, at: this.options.now(), ...body },
      isNew: true,
    }));
    await this.publish(userId, 'message', entry);
    // Whatever the bot or an agent says ends "… is typing": the agent's message, and every end
    // of a chat (each comes with the bot's line saying so). Without this the page kept showing
    // it under "You ended the chat" until its own timer ran out.
    if (this.typing.clear(userId)) this.options.streams.publish(userId, 'typing', { on: false });
    return { messageId: entry.id };
  }

  async update(address: Address, ref: SentRef, content: OutboundContent): Promise<void> {
    const userId = userIdOf(address);
    const id = messageIdOf(ref);
    const body = await this.body(userId, content);
    const entry = await this.options.log.replace(userId, id, (old, rev) => ({
      id: old.id,
      at: old.at,
      ...(old.clientId ? { clientId: old.clientId } : {}),
      ...body,
      rev,
      updatedAt: this.options.now(),
    }));
    if (!entry) {
      // Expired from the log (or never ours): nothing left on any screen to update.
      throw new BridgeError(ErrorCode.SurfaceSendFailed, `no web chat message ${id} to update`, { retryable: false });
    }
    await this.publish(userId, 'update', entry);
  }

  async sendTyping(address: Address, agent?: AgentInfo): Promise<void> {
    // Not logged: a typing indicator is stale by the time anyone reloads.
    const userId = userIdOf(address);
    this.typing.shown(userId);
    this.options.streams.publish(userId, 'typing', agent ? { on: true, agent: agent.name } : { on: true });
  }

  /** Uploads are kept in the FileVault under the uploader (see routes.ts); only theirs are read. */
  async download(address: Address, file: FileRef, maxBytes: number): Promise<Uint8Array> {
    const userId = userIdOf(address);
    const id = typeof file.handle?.upload === 'string' ? file.handle.upload : undefined;
    const found = id ? await this.options.files.get(id) : undefined;
    if (!found || found.entry.sessionId !== uploadOwner(userId)) {
      throw new FileRefusedError('uploadGone');
    }
    if (found.bytes.byteLength > maxBytes) throw new FileRefusedError('tooLarge');
    return found.bytes;
  }

  /**
   * Log a message the user typed, once per client id (a retried POST returns the first entry),
   * and show it in the user's other tabs.
   */
  async recordUserMessage(
    userId: string,
    message: { clientId: string; text: string; files: ChatFile[] },
  ): Promise<{ entry: ChatEntry; isNew: boolean }> {
    const result = await this.options.log.append(userId, (rev, log) => {
      const earlier = log.entries.find((e) => e.from === 'user' && e.clientId === message.clientId);
      if (earlier) return { entry: earlier, isNew: false };
      const entry: ChatEntry = {
        id: randomUUID(),
        rev,
        at: this.options.now(),
        from: 'user',
        clientId: message.clientId,
        ...(message.text ? { text: message.text } : {}),
        ...(message.files.length ? { files: message.files } : {}),
      };
      return { entry, isNew: true };
    });
    if (result.isNew) await this.publish(userId, 'message', result.entry);
    return result;
  }

  private async publish(userId: string, event: 'message' | 'update', entry: ChatEntry): Promise<void> {
    let state: ChatState | undefined;
    try {
      state = await this.options.chatState(userId);
    } catch (e) {
      // The hint is a nicety; the message itself must still go out.
      this.options.logger.warn({ err: e, surface: 'web', userId }, 'web: could not read the chat state');
    }
    this.options.streams.publish(userId, event, state ? { entry, state } : { entry });
  }

  private async body(userId: string, content: OutboundContent): Promise<Body> {
    if (content.kind === 'card') {
      const view = content.view;
      return {
        from: view.type === 'agentMessage' ? 'agent' : 'bot',
        ...(view.type === 'agentMessage' ? { agent: this.agent(view.agent) } : {}),
        card: renderAdaptiveCard(view, this.render),
        cardText: viewFallbackText(view, this.render.labels),
      };
    }
    const files: ChatFile[] = [];
    for (const file of content.files ?? []) {
      const shown = await this.chatFile(userId, file);
      if (shown) files.push(shown);
    }
    return {
      from: content.from ? 'agent' : 'bot',
      ...(content.from ? { agent: this.agent(content.from) } : {}),
      ...(content.text ? { text: content.text } : {}),
      ...(files.length ? { files } : {}),
    };
  }

  private agent(agent: AgentInfo): { name: string; avatarUrl?: string } {
    // https only: the page's Content-Security-Policy blocks other images (a broken picture).
    const avatar = (this.render.showAvatars ?? true) ? httpsUrl(agent.avatarUrl) : undefined;
    return { name: agent.name, ...(avatar ? { avatarUrl: avatar } : {}) };
  }

  /** A link the browser can open: our vault files by path (any host name works), others as given. */
  private async chatFile(userId: string, file: FileRef): Promise<ChatFile | undefined> {
    const meta = { name: file.name, contentType: file.contentType, ...(file.size !== undefined ? { size: file.size } : {}) };
    if (file.url && this.options.files.idOf(file.url)) return { ...meta, url: new URL(file.url).pathname };
    const external = httpUrl(file.url);
    if (external) return { ...meta, url: external };
    if (file.content) {
      const kept = await this.options.files.put(uploadOwner(userId), file, file.content);
      return { ...meta, size: kept.size, url: new URL(kept.url).pathname };
    }
    this.options.logger.warn({ surface: 'web', userId, file: file.name }, 'web: a file with neither a URL nor bytes was not shown');
    return undefined;
  }
}

/** The vault label of a web user's files (uploads and agent files we had to keep ourselves). */
export function uploadOwner(userId: string): string {
  return `web:${userId}`;
}

export function webAddress(userId: string): Address {
  return { userId };
}

function userIdOf(address: Address): string {
  const id = address.userId;
  if (typeof id !== 'string' || id === '') {
    throw new BridgeError(ErrorCode.SurfaceSendFailed, 'not a web chat address (missing userId)', { retryable: false });
  }
  return id;
}

function messageIdOf(ref: SentRef): string {
  const id = ref.messageId;
  if (typeof id !== 'string' || id === '') {
    throw new BridgeError(ErrorCode.SurfaceSendFailed, 'not a web chat message reference (missing messageId)', { retryable: false });
  }
  return id;
}

function httpsUrl(url: string | undefined): string | undefined {
  const u = httpUrl(url);
  return u?.startsWith('https:') ? u : undefined;
}

function httpUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}
