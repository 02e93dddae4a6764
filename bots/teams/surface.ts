/**
 * The Teams surface: every send is proactive. Replies never go out inside the inbound turn, so
 * any process holding the stored conversation reference can reach the user, long after the
 * user's request was answered.
 */
import type { CloudAdapter, TurnContext } from 'botbuilder';
import type { ConnectorClient } from 'botframework-connector';
import type { RenderOptions } from '../../cards/adaptive';
import { BridgeError, ErrorCode } from '../core/errors';
import type { Address, FileRef, Logger, OutboundContent, SentRef, Surface } from '../core/ports';
import { activityIdFromRef, referenceFromAddress, sentRef, type TeamsReference } from './address';
import { fetchFile, isConnectorUrl, parseHttpUrl, teamsFileKind } from './files';
import { contentToActivity } from './outbound';

/** How long one file download may take, redirects and body included. */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 60_000;

export interface TeamsSurfaceOptions {
  adapter: CloudAdapter;
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
}

export class TeamsSurface implements Surface {
  readonly kind = 'teams' as const;
  private readonly adapter: CloudAdapter;
  private readonly appId: string;
  private readonly logger: Logger;
  private readonly render: RenderOptions;
  private readonly downloadTimeoutMs: number;
  /** The last queued operation per conversation id; see `inOrder`. */
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(options: TeamsSurfaceOptions) {
    this.adapter = options.adapter;
    this.appId = options.appId.trim();
    this.logger = options.logger;
    this.render = options.render ?? {};
    this.downloadTimeoutMs = options.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
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
    if (kind === 'connector-image') {
      // The bot's token goes to the Bot Connector of this conversation and nowhere else.
      if (!isConnectorUrl(url, ref.serviceUrl)) {
        this.logger.warn(log, 'Teams: refused to fetch an image from outside the Bot Connector');
        throw new BridgeError(ErrorCode.FileRejected, 'it is not stored by Teams', { details: log });
      }
      bearerToken = await this.botToken(ref);
    } else if (this.appId && parseHttpUrl(url)?.protocol !== 'https:') {
      // Real Teams download URLs are HTTPS; plain http is only for local development.
      throw new BridgeError(ErrorCode.FileRejected, 'it has no secure address to download from', { details: log });
    }
    try {
      return await fetchFile({ url, maxBytes, timeoutMs: this.downloadTimeoutMs, bearerToken, expectedType: file.contentType });
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
      this.proactive(ref, 'send', async (ctx) => (await ctx.sendActivity(activity))?.id),
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
      this.proactive(reference, 'update', async (ctx) => {
        await ctx.updateActivity({ ...activity, id });
      }),
    );
  }

  async sendTyping(address: Address): Promise<void> {
    const ref = referenceFromAddress(address);
    await this.inOrder(ref.conversation.id, () =>
      this.proactive(ref, 'typing', async (ctx) => {
        await ctx.sendActivity({ type: 'typing' });
      }),
    );
  }

  /**
   * The bot's Bot Connector token, from the credentials botbuilder builds for this conversation
   * (password, certificate or managed identity, per MicrosoftAppType; cached by botbuilder).
   * Undefined when authentication is off: the local connector expects no token then.
   */
  private async botToken(reference: TeamsReference): Promise<string | undefined> {
    if (!this.appId) return undefined;
    try {
      return await this.proactive(reference, 'token', async (ctx) => {
        const client = ctx.turnState.get<ConnectorClient | undefined>(ctx.adapter.ConnectorClientKey);
        const credentials = client?.credentials as { getToken?: (force?: boolean) => Promise<string> } | undefined;
        if (typeof credentials?.getToken !== 'function') throw new Error('no Bot Framework credentials for this conversation');
        return credentials.getToken();
      });
    } catch (err) {
      this.logger.error({ surface: 'teams', err }, 'Teams: could not get a bot token to download a file');
      throw new BridgeError(ErrorCode.FileRejected, 'the bridge could not sign in to Teams to fetch it', { cause: err, retryable: true });
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

  /**
   * One proactive turn. botbuilder hands errors thrown inside the turn to `onTurnError`, which
   * logs and swallows them, and `continueConversationAsync` then resolves as if all went well.
   * So the error is caught inside the turn, carried out, and rethrown here as a typed error.
   */
  private async proactive<T>(
    reference: TeamsReference,
    operation: string,
    work: (ctx: TurnContext) => Promise<T>,
  ): Promise<T | undefined> {
    let result: T | undefined;
    let failure: unknown;
    try {
      await this.adapter.continueConversationAsync(this.appId, reference, async (ctx) => {
        try {
          result = await work(ctx);
        } catch (err) {
          failure = err;
        }
      });
    } catch (err) {
      failure = err; // outside the turn: credentials, connector creation
    }
    if (failure !== undefined) throw sendError(failure, operation, reference.conversation.id);
    return result;
  }
}

/**
 * The connector client (@azure/core-rest-pipeline's default policy) already retried before this
 * error reached us: 3 retries of 408/5xx (except 501/505) and network errors with exponential
 * backoff, and of 429/503 *when* they carry Retry-After, honouring it. A 429 without Retry-After
 * and a 412 are not retried by it. We add no retries of our own: a create that timed out may
 * have been delivered, and sending it again would duplicate the message. We only say whether
 * trying later might help (Teams lists 412, 429, 502, 504 as retryable), so the broker decides.
 */
function sendError(err: unknown, operation: string, conversationId: string | undefined): BridgeError {
  if (err instanceof BridgeError) return err;
  const status = statusOf(err);
  const retryable = status === undefined || status === 408 || status === 412 || status === 429 || status >= 500;
  const reason = status === undefined ? 'no response' : `HTTP ${status}`;
  return new BridgeError(ErrorCode.SurfaceSendFailed, `Teams ${operation} failed (${reason})`, {
    cause: err,
    status,
    retryable,
    details: { conversationId, message: err instanceof Error ? err.message : String(err) },
  });
}

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { statusCode?: unknown; status?: unknown; response?: { status?: unknown } };
  for (const candidate of [e.statusCode, e.status, e.response?.status]) {
    if (typeof candidate === 'number' && candidate >= 100) return candidate;
  }
  return undefined;
}
