/**
 * The Slack surface: every send is a Web API call with the bot token to the user's DM with the
 * app, so any process holding the stored address can reach the user.
 *
 * - Cards are Block Kit messages rendered from the core's views (cards/blocks.ts).
 * - The details form opens as a modal when the address carries a fresh trigger (the user just
 *   clicked Start). A message with an "Add details" button is posted as well: it reopens the form
 *   if the modal is dismissed, and shows "Sent" once the chat is queued. Without a fresh trigger
 *   only that message is posted, and its button opens the modal with a trigger of its own.
 * - Updates replace a message's buttons with a status line (`chat.update`): Slack buttons cannot
 *   be disabled.
 * - Agent messages go out under the agent's name and avatar when the token may do that
 *   (`chat:write.customize`), else with the agent's name in front.
 */
import type { webApi } from '@slack/bolt';
import { renderBlocks, renderDetailsModal, type BlockRenderOptions } from '../../cards/blocks';
import { BridgeError, ErrorCode } from '../core/errors';
import { KeyedQueue } from '../core/keyed-queue';
import type { Address, AgentInfo, DetailsView, FileRef, Logger, OutboundContent, SentRef, Surface } from '../core/ports';
import { messageRef, parseAddress, parseRef, type SlackAddress } from './address';
import { slackCall } from './client';
import type { SlackSettings } from './config';
import type { OutboundFetch, OutboundSwitches } from '../http/outbound-guard';
import { downloadSlackFile, fetchFileBytes, slackFileFetch, uploadToSlack } from './files';
import type { SlackIdentity } from './identity';
import { encodeModalMetadata, type DetailsModalMetadata } from './inbound';
import { escapeMrkdwn, markdownToMrkdwn } from './mrkdwn';

/** Slack accepts a trigger for about 3 s; past this age we do not try (views.open would fail). */
export const TRIGGER_FRESH_MS = 2500;

export const CUSTOMIZE_SCOPE = 'chat:write.customize';

export interface SlackSurfaceOptions {
  client: webApi.WebClient;
  settings: Pick<SlackSettings, 'botToken' | 'apiUrl' | 'customizeSender'> & Partial<Pick<SlackSettings, 'fileHosts'>>;
  identity: SlackIdentity;
  logger: Logger;
  render?: Omit<BlockRenderOptions, 'markdown'>;
  /** Largest agent file fetched by URL to upload (config `bot.files.maxBytes`). */
  maxFileBytes: number;
  /** Wall-clock time for trigger ages (Slack's clock, not the bridge's test clock). */
  now?: () => number;
  /** `server.outboundFetch`: whether file URLs may be plain http or on private networks (default: no). */
  outbound?: OutboundSwitches;
  /** Test seam: replaces the guarded fetch of files (`slackFileFetch`). */
  fetch?: OutboundFetch;
}

export class SlackSurface implements Surface {
  readonly kind = 'slack' as const;
  private readonly client: webApi.WebClient;
  private readonly logger: Logger;
  private readonly render: BlockRenderOptions;
  private readonly now: () => number;
  /** One Slack call at a time per channel, so messages and updates land in call order. */
  private readonly order = new KeyedQueue();
  /** DM channel per user, for addresses that only name the user. */
  private readonly dmChannels = new Map<string, string>();
  /** Every file fetch goes through the outbound guard (bots/http/outbound-guard.ts). */
  private readonly fileFetch: OutboundFetch;

  constructor(private readonly options: SlackSurfaceOptions) {
    this.client = options.client;
    this.fileFetch = options.fetch ?? slackFileFetch(options.settings, options.outbound);
    this.logger = options.logger;
    this.render = { ...options.render, markdown: markdownToMrkdwn };
    this.now = options.now ?? Date.now;
  }

  async send(address: Address, content: OutboundContent): Promise<SentRef> {
    const a = parseAddress(address);
    const channel = await this.channelOf(a);
    if (content.kind === 'card') {
      const view = content.view;
      if (view.type === 'details' && !view.status) {
        const opened = await this.order.run(channel, () => this.openDetailsWithTrigger(a, channel, view));
        if (opened) return opened;
      }
      const message = renderBlocks(view, this.render);
      const res = await this.order.run(channel, () =>
        slackCall('chat.postMessage', () => this.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks })),
      );
      return messageRef(channel, res.ts);
    }
    return this.order.run(channel, () => this.sendText(channel, content));
  }

  async update(_address: Address, ref: SentRef, content: OutboundContent): Promise<void> {
    const r = parseRef(ref);
    if (!r?.ts) {
      // A modal the user already closed, or a files-only message: nothing that can change.
      this.logger.debug({ surface: 'slack', ref }, 'nothing to update for this reference');
      return;
    }
    const ts = r.ts;
    const message =
      content.kind === 'card' ? renderBlocks(content.view, this.render) : { text: markdownToMrkdwn(content.text), blocks: [] };
    await this.order.run(r.channel, () =>
      slackCall('chat.update', () => this.client.chat.update({ channel: r.channel, ts, text: message.text, blocks: message.blocks })),
    );
  }

  download(_address: Address, file: FileRef, maxBytes: number): Promise<Uint8Array> {
    return downloadSlackFile(
      { client: this.client, token: this.options.settings.botToken, apiUrl: this.options.settings.apiUrl, fetch: this.fileFetch },
      file,
      maxBytes,
    );
  }

  /**
   * Open the details modal with a trigger the glue just received (the "Add details" button).
   * Throws when Slack refuses (an expired trigger).
   */
  async openDetailsModal(triggerId: string, view: DetailsView, meta: DetailsModalMetadata): Promise<string | undefined> {
    const res = await slackCall(
      'views.open',
      () => this.client.views.open({ trigger_id: triggerId, view: renderDetailsModal(view, encodeModalMetadata(meta), this.render) }),
      // Waiting out a rate limit would outlive the trigger.
      { budgetMs: 0 },
    );
    return res.view?.id;
  }

  /** Whether agent messages go out under the agent's own name and avatar. */
  customizesSender(): boolean {
    switch (this.options.settings.customizeSender) {
      case 'on':
        return true;
      case 'off':
        return false;
      case 'auto':
        return this.options.identity.hasScope(CUSTOMIZE_SCOPE) === true;
    }
  }

  /** The modal (plus its message), when the user's click is recent enough; else undefined. */
  private async openDetailsWithTrigger(a: SlackAddress, channel: string, view: DetailsView): Promise<SentRef | undefined> {
    if (!a.triggerId || a.triggerAt === undefined || this.now() - a.triggerAt > TRIGGER_FRESH_MS) return undefined;
    let viewId: string | undefined;
    try {
      viewId = await this.openDetailsModal(a.triggerId, view, {
        offerId: view.offerId,
        channel,
        from: 'offer',
        topicRequired: view.topicRequired && view.topics.length > 0,
        ...(view.topicOnly ? { topicOnly: true } : {}),
      });
    } catch (err) {
      // Expired trigger (a slow moment): the message below still lets the user open the form.
      this.logger.info({ surface: 'slack', err }, 'details modal could not be opened; posting the form as a message');
      return undefined;
    }
    // The modal first (the trigger is ticking), then the message that can reopen it.
    const message = renderBlocks(view, this.render);
    try {
      const res = await slackCall('chat.postMessage', () =>
        this.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks }),
      );
      return messageRef(channel, res.ts, viewId);
    } catch (err) {
      this.logger.warn({ surface: 'slack', err }, 'details modal opened, but its message could not be posted');
      return messageRef(channel, undefined, viewId);
    }
  }

  private async sendText(channel: string, content: Extract<OutboundContent, { kind: 'text' }>): Promise<SentRef> {
    const agent = content.from;
    const lines = [markdownToMrkdwn(content.text)];
    const uploads: { name: string; bytes: Uint8Array }[] = [];
    for (const file of content.files ?? []) {
      const bytes = await this.bytesOf(file);
      if (bytes) uploads.push({ name: file.name, bytes });
      // Too big to upload (or not fetchable), but reachable: a link still gets it to the user.
      else if (file.url) lines.push(`📎 <${file.url.replace(/[|>]/g, encodeURIComponent)}|${escapeMrkdwn(file.name).replace(/\|/g, '¦')}>`);
      else this.logger.warn({ surface: 'slack', file: file.name }, 'agent file with no bytes and no URL was not sent');
    }
    const text = lines.filter((l) => l.trim() !== '').join('\n');
    if (!text && uploads.length === 0) {
      throw new BridgeError(ErrorCode.SurfaceSendFailed, 'nothing to send: no text and no deliverable files', { retryable: false });
    }

    let ts: string | undefined;
    if (text) {
      const res = await slackCall('chat.postMessage', () =>
        this.client.chat.postMessage({ channel, text: this.attributed(text, agent), ...this.sender(agent) }),
      );
      ts = res.ts;
    }
    const failed: BridgeError[] = [];
    for (const upload of uploads) {
      try {
        // A file's message is the bot's; with no text before it, say whose file it is.
        const comment = !text && agent ? `${escapeMrkdwn(agent.name)} sent a file.` : undefined;
        await uploadToSlack(this.client, channel, { ...upload, comment });
      } catch (err) {
        this.logger.error({ surface: 'slack', err, file: upload.name }, 'agent file could not be uploaded to Slack');
        failed.push(err instanceof BridgeError ? err : new BridgeError(ErrorCode.SurfaceSendFailed, String(err), { cause: err }));
      }
    }
    if (failed.length > 0) {
      throw new BridgeError(ErrorCode.SurfaceSendFailed, `${failed.length} file(s) could not be uploaded to Slack`, {
        cause: failed[0],
        retryable: failed.every((f) => f.retryable),
        details: { textDelivered: ts !== undefined },
      });
    }
    return messageRef(channel, ts);
  }

  private attributed(text: string, agent: AgentInfo | undefined): string {
    if (!agent || this.customizesSender()) return text;
    return `*${escapeMrkdwn(agent.name.replace(/\*/g, '').trim() || 'Agent')}:* ${text}`;
  }

  private sender(agent: AgentInfo | undefined): { username?: string; icon_url?: string } {
    if (!agent || !this.customizesSender()) return {};
    const icon = agent.avatarUrl && /^https:\/\//i.test(agent.avatarUrl) ? { icon_url: agent.avatarUrl } : {};
    return { username: agent.name.slice(0, 80), ...icon };
  }

  /** The bytes to upload: the broker's (vault files), or fetched from the URL within the limit. */
  private async bytesOf(file: FileRef): Promise<Uint8Array | undefined> {
    if (file.content) return file.content.byteLength <= this.options.maxFileBytes ? file.content : undefined;
    if (!file.url) return undefined;
    try {
      return await fetchFileBytes(file.url, this.options.maxFileBytes, this.fileFetch);
    } catch (err) {
      this.logger.warn({ surface: 'slack', err, file: file.name }, 'agent file could not be fetched; sending its link');
      return undefined;
    }
  }

  private async channelOf(a: SlackAddress): Promise<string> {
    if (a.channel) return a.channel;
    const user = a.user;
    // A corrupt or foreign address will never work; retrying cannot help.
    if (!user) throw new BridgeError(ErrorCode.SurfaceSendFailed, 'Slack address has neither a channel nor a user', { retryable: false });
    const known = this.dmChannels.get(user);
    if (known) return known;
    const res = await slackCall('conversations.open', () => this.client.conversations.open({ users: user }));
    const id = res.channel?.id;
    if (!id) throw new BridgeError(ErrorCode.SurfaceSendFailed, 'Slack opened no DM channel', { retryable: true });
    this.dmChannels.set(user, id);
    return id;
  }
}
