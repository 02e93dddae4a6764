/**
 * The Teams surface: every send is proactive. Replies never go out inside the inbound turn, so
 * any process holding the stored conversation reference can reach the user, long after the
 * user's request was answered. Sends go straight to the Bot Connector REST API (connector.ts)
 * with the token botbuilder's credentials give the adapter.
 */
import type { Activity } from 'botbuilder';
import type { RenderOptions } from '../../cards/adaptive';
import { BridgeError, ErrorCode } from '../core/errors';
import type { Address, FileRef, Logger, OutboundContent, SentRef, Surface } from '../core/ports';
import type { ConnectorCachingCloudAdapter } from './adapter';
import { activityIdFromRef, referenceFromAddress, sentRef, type TeamsReference } from './address';
import { BotConnector, ConnectorCallError, type BotConnectorOptions } from './connector';
import { fetchFile, isConnectorUrl, parseHttpUrl, teamsFileKind, teamsRefusal } from './files';
import { contentToActivity } from './outbound';
import { guardedFetch, type OutboundPolicy } from '../http/outbound-guard';
import { TEAMS_DEFAULT_FILE_HOSTS } from './config';

/** How long one file download may take, redirects and body included. */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 60_000;

export interface TeamsSurfaceOptions {
  adapter: ConnectorCachingCloudAdapter;
  /**
   * The bot's MicrosoftAppId; empty when Bot Framework auth is off (local development). With an
   * empty id, botbuilder 4.23 builds an identity with empty `aud`/`appid` claims, its credential
   * factory sees auth is disabled and hands out empty credentials, and the request goes to the
   * serviceUrl without a token, as the Emulator and Agents Playground expect. (Verified on the
   * wire in test/e2e/teams-auth.test.ts; no ClaimsIdentity workaround is needed.)
   */
  appId: string;
  logger: Logger;
  /** Card wording and avatar policy. */
  render?: RenderOptions;
  /** Deadline of one file download (default 60 s). */
  downloadTimeoutMs?: number;
  /**
   * Where files may be downloaded from (`teams.fileHosts` and `server.outboundFetch`). Default:
   * Teams' own hosts, https only, no private addresses. A pasted image's conversation
   * `serviceUrl` host (its Bot Connector) is allowed as well.
   */
  fileFetch?: OutboundPolicy;
  /** Timeouts and retry pacing of Bot Connector calls (tests shorten the backoff). */
  connector?: Omit<BotConnectorOptions, 'token'>;
}

export class TeamsSurface implements Surface {
  readonly kind = 'teams' as const;
  private readonly adapter: ConnectorCachingCloudAdapter;
  private readonly connector: BotConnector;
  private readonly appId: string;
  private readonly logger: Logger;
  private readonly render: RenderOptions;
  private readonly downloadTimeoutMs: number;
  private readonly fileFetch: OutboundPolicy;
  /** The last queued operation per conversation id; see `inOrder`. */
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(options: TeamsSurfaceOptions) {
    this.adapter = options.adapter;
    this.appId = options.appId.trim();
    this.logger = options.logger;
    this.render = options.render ?? {};
    this.downloadTimeoutMs = options.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
    this.fileFetch = options.fileFetch ?? { hosts: TEAMS_DEFAULT_FILE_HOSTS, allowHttp: false, allowPrivateNetworks: false };
    this.connector = new BotConnector({
      ...options.connector,
      token: (serviceUrl) => this.adapter.botToken(this.appId, serviceUrl),
    });
  }

  /**
   * Fetch a file the user shared (see files.ts): a OneDrive file through its pre-authorised
   * `downloadUrl` with no token; a pasted image from the Bot Connector with the bot's token
   * (none when auth is off). At most `maxBytes` are read.
   */
  async download(address: Address, file: FileRef, maxBytes: number): Promise<Uint8Array> {
    const ref = referenceFromAddress(address);
    const url = file.url ?? '';
    // FileRefs made before handles existed were always pre-authorised download URLs.
    const kind = teamsFileKind(file.handle) ?? 'download-info';
    const log = { surface: 'teams', file: file.name, kind, host: parseHttpUrl(url)?.host };
    let bearerToken: string | undefined;
    let hosts = this.fileFetch.hosts;
    if (kind === 'connector-image') {
      // The bot's token goes to the Bot Connector of this conversation and nowhere else.
      if (!isConnectorUrl(url, ref.serviceUrl)) {
        this.logger.warn(log, 'Teams: refused to fetch an image from outside the Bot Connector');
        throw teamsRefusal('notStored', {}, { details: log });
      }
      bearerToken = await this.botToken(ref);
      const connectorHost = parseHttpUrl(ref.serviceUrl)?.hostname;
      if (connectorHost) hosts = [...hosts, connectorHost];
    }
    // Real Teams download URLs are HTTPS; the guard refuses plain http unless
    // `server.outboundFetch.allowHttp` (local development) says otherwise.
    try {
      const fetch = guardedFetch({ ...this.fileFetch, hosts });
      return await fetchFile({ url, maxBytes, timeoutMs: this.downloadTimeoutMs, bearerToken, expectedType: file.contentType, fetch });
    } catch (err) {
      // Never log the URL itself: a download URL carries its own credentials (tempauth).
      this.logger.warn({ ...log, err }, 'Teams: could not download a user file');
      throw err;
    }
  }

  async send(address: Address, content: OutboundContent): Promise<SentRef> {
    const ref = referenceFromAddress(address);
    const { activity, undeliverable } = contentToActivity(content, this.render);
    if (undeliverable.length > 0) {
      this.logger.warn(
        { surface: 'teams', files: undeliverable.map((f) => f.name) },
        'files without a URL and too large to inline were not sent to the user',
      );
    }
    if (!activity.text && !activity.attachments?.length) {
      // Teams rejects an empty message with a 400; say so without a round trip.
      throw new BridgeError(ErrorCode.SurfaceSendFailed, 'nothing to send: no text and no deliverable files', {
        retryable: false,
      });
    }
    const id = await this.inOrder(ref.conversation.id, () =>
      this.call(ref, 'send', () => this.connector.send(target(ref), addressed(activity, ref))),
    );
    if (!id) {
      // Teams always returns one. The message was delivered, so this is not a failed send, but
      // the message cannot be updated later (a card's buttons will stay).
      this.logger.warn({ surface: 'teams', conversationId: ref.conversation.id }, 'Teams returned no activity id');
    }
    return sentRef(id ?? '');
  }

  async update(address: Address, ref: SentRef, content: OutboundContent): Promise<void> {
    const reference = referenceFromAddress(address);
    const id = activityIdFromRef(ref);
    const { activity } = contentToActivity(content, this.render);
    await this.inOrder(reference.conversation.id, () =>
      this.call(reference, 'update', () => this.connector.update(target(reference), id, addressed({ ...activity, id }, reference))),
    );
  }

  async sendTyping(address: Address): Promise<void> {
    const ref = referenceFromAddress(address);
    // A repeated typing indicator is harmless, so it may be retried like an update.
    await this.inOrder(ref.conversation.id, () =>
      this.call(ref, 'typing', () => this.connector.send(target(ref), addressed({ type: 'typing' }, ref), { idempotent: true })),
    );
  }

  /**
   * The bot's Bot Connector token, from the credentials botbuilder builds for this conversation
   * (password, certificate or managed identity, per MicrosoftAppType; cached by botbuilder).
   * Undefined when authentication is off: the local connector expects no token then.
   */
  private async botToken(reference: TeamsReference): Promise<string | undefined> {
    try {
      return await this.adapter.botToken(this.appId, reference.serviceUrl);
    } catch (err) {
      this.logger.error({ surface: 'teams', err }, 'Teams: could not get a bot token to download a file');
      throw teamsRefusal('signInFailed', {}, { cause: err, retryable: true });
    }
  }

  /**
   * Runs `op` after everything queued earlier for the same conversation, whether that succeeded
   * or failed. The broker awaits each send before the next, so within one process this chain is
   * all it takes for messages to leave in call order; it also covers callers that do not await
   * (a typing indicator racing a message). Across processes, ordering is the broker's job (one
   * worker per session). Entries are removed when the chain drains, so the map stays small.
   */
  private inOrder<T>(conversationId: string, op: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(conversationId) ?? Promise.resolve();
    const result = previous.then(op, op);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(conversationId, tail);
    void tail.then(() => {
      if (this.tails.get(conversationId) === tail) this.tails.delete(conversationId);
    });
    return result;
  }

  /** One Bot Connector call; whatever it throws (the token included) becomes a typed error. */
  private async call<T>(reference: TeamsReference, operation: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw sendError(err, operation, reference.conversation.id);
    }
  }
}

/** Where a proactive activity goes: the stored reference's service URL and conversation. */
function target(reference: TeamsReference) {
  return { serviceUrl: reference.serviceUrl, conversationId: reference.conversation.id };
}

/**
 * The activity as a proactive turn would have addressed it (TurnContext.applyConversationReference):
 * channel, service URL and conversation from the reference, from the bot, to the user. No
 * `replyToId`: it is a new message in the 1:1 chat, not a reply to one of the user's.
 */
function addressed(activity: Partial<Activity>, reference: TeamsReference): Partial<Activity> {
  return {
    ...activity,
    channelId: reference.channelId,
    serviceUrl: reference.serviceUrl,
    conversation: reference.conversation,
    ...(reference.bot ? { from: reference.bot } : {}),
    ...(reference.user ? { recipient: reference.user } : {}),
    ...(reference.locale ? { locale: reference.locale } : {}),
  };
}

/**
 * The connector (connector.ts) already retried what Teams says to retry, within its budget. We
 * add no retries here; we only say whether trying later might help (Teams lists 412, 429, 502,
 * 504 as retryable; no response at all may be a network blip), so the broker decides.
 */
export function sendError(err: unknown, operation: string, conversationId: string | undefined): BridgeError {
  if (err instanceof BridgeError) return err;
  const status = err instanceof ConnectorCallError ? err.status : undefined;
  const retryable = status === undefined || status === 408 || status === 412 || status === 429 || status >= 500;
  // Not a ConnectorCallError: the call never started, because getting the bot's token failed.
  const reason = !(err instanceof ConnectorCallError)
    ? 'could not get a bot token'
    : status === undefined
      ? 'no response'
      : `HTTP ${status}`;
  return new BridgeError(ErrorCode.SurfaceSendFailed, `Teams ${operation} failed (${reason})`, {
    cause: err,
    status,
    retryable,
    details: { conversationId, message: err instanceof Error ? err.message : String(err) },
  });
}
