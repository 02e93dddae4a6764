/**
 * The Bot Framework adapter, built from explicit settings.
 *
 * botbuilder behaviours this file exists to neutralise:
 * - `new ConfigurationBotFrameworkAuthentication()` with no argument reads nothing (not even
 *   the environment) and silently turns authentication off. We always pass the settings object.
 * - When *any* endpoint override is set (tests, sovereign clouds), botbuilder treats *all* of
 *   them as given, so an unset one becomes `undefined` (no token issuer, no login URL, no OAuth
 *   scope) instead of the public-cloud default. We therefore always pass the full set: the
 *   public-cloud defaults with the configured overrides on top.
 * - A forged or not-yet-valid token is answered 500 instead of 401 (see
 *   StrictBotFrameworkAuthentication below).
 */
import {
  BotCallbackHandlerKey,
  CallerIdConstants,
  CloudAdapter,
  TurnContext,
  ConfigurationBotFrameworkAuthentication,
  type Activity,
  type ConfigurationBotFrameworkAuthenticationOptions,
  type InvokeResponse,
} from 'botbuilder';
import {
  AuthenticationConstants,
  type ConnectorClient,
  type UserTokenClient,
  AuthenticationError,
  type AuthenticateRequestResult,
  type ServiceClientCredentialsFactory,
} from 'botframework-connector';
import type { Logger } from '../core/ports';
import type { TeamsSettings } from './config';

export interface TeamsAdapterOptions {
  /**
   * Where outbound tokens come from. Leave unset in production: botbuilder then builds the
   * credentials from the settings (password, certificate or managed identity per
   * MicrosoftAppType). Tests inject one that talks to a local token endpoint, because
   * botbuilder's MSAL client only accepts HTTPS authorities it can discover on the internet.
   */
  credentialsFactory?: ServiceClientCredentialsFactory;
}

/** Whether the bot runs without Bot Framework authentication (local development only). */
export function isTeamsAuthDisabled(settings: TeamsSettings): boolean {
  return settings.MicrosoftAppId.trim() === '';
}

/** The complete configuration object handed to ConfigurationBotFrameworkAuthentication. */
export function teamsAuthConfig(settings: TeamsSettings): ConfigurationBotFrameworkAuthenticationOptions {
  return {
    MicrosoftAppId: settings.MicrosoftAppId,
    MicrosoftAppPassword: settings.MicrosoftAppPassword,
    MicrosoftAppType: settings.MicrosoftAppType,
    MicrosoftAppTenantId: settings.MicrosoftAppTenantId,
    ValidateAuthority: true,
    CallerId: CallerIdConstants.PublicAzureChannel,
    OAuthUrl: AuthenticationConstants.OAuthUrl,
    ToBotFromEmulatorOpenIdMetadataUrl: AuthenticationConstants.ToBotFromEmulatorOpenIdMetadataUrl,
    ToBotFromChannelOpenIdMetadataUrl:
      settings.ToBotFromChannelOpenIdMetadataUrl ?? AuthenticationConstants.ToBotFromChannelOpenIdMetadataUrl,
    ToBotFromChannelTokenIssuer: settings.ToBotFromChannelTokenIssuer ?? AuthenticationConstants.ToBotFromChannelTokenIssuer,
    ToChannelFromBotLoginUrl: settings.ToChannelFromBotLoginUrl ?? AuthenticationConstants.ToChannelFromBotLoginUrl,
    ToChannelFromBotOAuthScope: settings.ToChannelFromBotOAuthScope ?? AuthenticationConstants.ToChannelFromBotOAuthScope,
  };
}

/**
 * botbuilder maps only its own AuthenticationError to 401. A token that names a known key id but
 * carries a bad signature (or is not yet valid) makes jsonwebtoken throw its own error types,
 * which CloudAdapter answers with 500 and a stack trace. A forged token is the caller's fault:
 * answer 401 so it neither pages anyone nor looks like an outage.
 */
class StrictBotFrameworkAuthentication extends ConfigurationBotFrameworkAuthentication {
  override async authenticateRequest(activity: Activity, authHeader: string): Promise<AuthenticateRequestResult> {
    try {
      return await super.authenticateRequest(activity, authHeader);
    } catch (err) {
      if (isJwtError(err)) throw new AuthenticationError(`Unauthorized. ${err.message}`, 401);
      throw err;
    }
  }
}

function isJwtError(err: unknown): err is Error {
  return err instanceof Error && ['JsonWebTokenError', 'NotBeforeError', 'TokenExpiredError'].includes(err.name);
}

/**
 * CloudAdapter builds a new ConnectorClient and UserTokenClient (each a full @azure/core-client
 * pipeline) for every turn. They hold no per-conversation state and their credentials fetch and
 * refresh tokens themselves, so one per bot id, service URL and audience is enough (the old
 * BotFrameworkAdapter cached them the same way). The bridge's own sends do not go through them
 * (connector.ts); the cache serves inbound turns and the bot's token (`botToken`). Proactive
 * turns (`continueConversationAsync`) are botbuilder's own: nothing in the bridge uses them.
 */
export class ConnectorCachingCloudAdapter extends CloudAdapter {
  /** Clients whose credentials give the bot's outbound token, per bot id and service URL. */
  private readonly connectors = new Map<string, Promise<ConnectorClient>>();
  /** Inbound turns' clients: their factory is the one authentication returned, so kept apart. */
  private readonly inboundConnectors = new Map<string, Promise<ConnectorClient>>();
  private readonly tokenClients = new Map<string, Promise<UserTokenClient>>();

  /**
   * The bot's bearer token for calls to this Bot Connector, from the credentials a proactive turn
   * to it would use (built by botbuilder per MicrosoftAppType; they cache and refresh the token).
   * Undefined when authentication is off: the local connector expects no token then.
   */
  async botToken(appId: string, serviceUrl: string): Promise<string | undefined> {
    if (appId === '') return undefined;
    const claimsIdentity = this.createClaimsIdentity(appId);
    const client = await cached(this.connectors, `${appId}|${serviceUrl}|`, () =>
      this.botFrameworkAuthentication.createConnectorFactory(claimsIdentity).create(serviceUrl, undefined),
    );
    const credentials = client.credentials as { getToken?: (force?: boolean) => Promise<string> } | undefined;
    if (typeof credentials?.getToken !== 'function') throw new Error('no Bot Framework credentials for this service URL');
    return credentials.getToken();
  }

  /**
   * An activity POSTed to the messaging endpoint: what `CloudAdapter.process` does for it, without
   * its per-request zod schemas (it builds six and parses the whole activity with them, about a
   * tenth of the CPU of taking a user's message) and without its HTTP writing, which the route
   * owns. The same authentication runs first (`processActivity` below); a request that fails it
   * throws botbuilder's AuthenticationError. Resolves with the invoke response, if any.
   */
  async processBody(
    authHeader: string,
    body: Activity,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<InvokeResponse | undefined> {
    return this.processActivity(authHeader, withDates(body), logic);
  }

  /**
   * The inbound turn, as CloudAdapterBase.processActivity in botbuilder 4.23.3 with one change:
   * the ConnectorClient and UserTokenClient every turn gets come from the same caches as the
   * proactive ones, instead of two new pipelines per activity (the bridge never even replies in
   * the turn). Authentication is untouched: the request is authenticated exactly as before (our
   * StrictBotFrameworkAuthentication, the same JWT validation), before anything else happens;
   * the connector factory is still the one that authentication returned for this request.
   * Measured: 14% of the CPU of relaying user messages went into those two clients.
   */
  protected override async processActivity(
    authHeaderOrResult: string | AuthenticateRequestResult,
    activity: Activity,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<InvokeResponse | undefined> {
    const result =
      typeof authHeaderOrResult === 'string'
        ? await this.botFrameworkAuthentication.authenticateRequest(activity, authHeaderOrResult)
        : authHeaderOrResult;
    activity.callerId = result.callerId as string; // as botbuilder assigns it (undefined for anonymous callers)
    const connectorFactory = result.connectorFactory;
    if (!connectorFactory) throw new Error('Unable to extract ConnectorClient from turn context.');
    const appId = result.claimsIdentity.getClaimValue(AuthenticationConstants.AudienceClaim) ?? '';
    const connectorClient = await cached(this.inboundConnectors, `${appId}|${activity.serviceUrl}|${result.audience ?? ''}`, () =>
      connectorFactory.create(activity.serviceUrl, result.audience),
    );
    const userTokenClient = await cached(this.tokenClients, appId, () =>
      this.botFrameworkAuthentication.createUserTokenClient(result.claimsIdentity),
    );
    const context = new TurnContext(this, activity);
    context.turnState.set(this.BotIdentityKey, result.claimsIdentity);
    context.turnState.set(this.ConnectorClientKey, connectorClient);
    context.turnState.set(this.UserTokenClientKey, userTokenClient);
    context.turnState.set(BotCallbackHandlerKey, logic);
    context.turnState.set(this.ConnectorFactoryKey, connectorFactory);
    context.turnState.set(this.OAuthScopeKey, result.audience);
    await this.runMiddleware(context, logic);
    return (this as unknown as TurnResults).processTurnResults(context);
  }
}

/**
 * The activity with its wire timestamps as Dates (raw strings kept beside them), as botbuilder's
 * validateAndFixActivity leaves it for a turn.
 */
function withDates(activity: Activity): Activity {
  const a = activity as Activity & Record<string, unknown>;
  for (const [field, raw] of [
    ['timestamp', 'rawTimestamp'],
    ['expiration', 'rawExpiration'],
    ['localTimestamp', 'rawLocalTimestamp'],
  ] as const) {
    const value = a[field];
    if (typeof value === 'string') {
      a[raw] = value;
      a[field] = new Date(value);
    }
  }
  return activity;
}

/** What CloudAdapterBase keeps private but `processActivity` must end with. */
interface TurnResults {
  processTurnResults(context: TurnContext): InvokeResponse | undefined;
}

/** A bounded promise cache; a failed creation is forgotten so the next call retries. */
function cached<T>(map: Map<string, Promise<T>>, key: string, create: () => Promise<T>): Promise<T> {
  let entry = map.get(key);
  if (!entry) {
    if (map.size >= 256) map.clear();
    entry = create();
    map.set(key, entry);
    entry.catch(() => map.delete(key));
  }
  return entry;
}

export function createTeamsAdapter(
  settings: TeamsSettings,
  logger: Logger,
  options: TeamsAdapterOptions = {},
): ConnectorCachingCloudAdapter {
  const auth = new StrictBotFrameworkAuthentication(teamsAuthConfig(settings), options.credentialsFactory);
  const adapter = new ConnectorCachingCloudAdapter(auth);

  if (isTeamsAuthDisabled(settings)) {
    logger.warn(
      { surface: 'teams' },
      'Teams: MicrosoftAppId is empty, so Bot Framework authentication is OFF. Anyone who can reach ' +
        '/api/messages can post as any user. Use this only for local development on loopback.',
    );
  }

  // The single sink for errors inside a turn. Never rethrow: CloudAdapter would answer 500 and
  // Teams would redeliver the activity, duplicating work that may already have happened.
  adapter.onTurnError = async (context, error) => {
    const activity = context.activity;
    logger.error(
      {
        surface: 'teams',
        err: error,
        activityType: activity?.type,
        activityId: activity?.id,
        conversationId: activity?.conversation?.id,
      },
      'Teams turn failed',
    );
  };

  return adapter;
}
