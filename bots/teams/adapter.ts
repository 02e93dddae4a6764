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
  type Activity,
  CallerIdConstants,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type ConfigurationBotFrameworkAuthenticationOptions,
  type InvokeResponse,
  type TurnContext,
} from 'botbuilder';
import {
  type AuthenticateRequestResult,
  AuthenticationConstants,
  AuthenticationError,
  type ClaimsIdentity,
  type ConnectorClient,
  ConnectorFactory,
  type ServiceClientCredentialsFactory,
  type UserTokenClient,
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
 * BotFrameworkAdapter cached them the same way). Measured: 14% of the CPU of relaying user
 * messages went into those two clients. The cache sits where botbuilder asks for the clients,
 * behind its public BotFrameworkAuthentication methods (the connector factory a request's
 * authentication returns, `createConnectorFactory`, `createUserTokenClient`), so every turn,
 * whichever entry runs it (turn-entry.ts), gets cached clients and nothing of CloudAdapter's own
 * turn is replaced. Authentication is untouched: the request is authenticated first, exactly as
 * before, and the factory that serves its turn is still the one its authentication built.
 */
class CachingBotFrameworkAuthentication extends StrictBotFrameworkAuthentication {
  /** Inbound turns' clients: their factory is the one authentication returned, so kept apart. */
  private readonly inboundConnectors = new Map<string, Promise<ConnectorClient>>();
  /** Clients whose credentials give the bot's outbound token, per bot id and service URL. */
  private readonly outboundConnectors = new Map<string, Promise<ConnectorClient>>();
  private readonly tokenClients = new Map<string, Promise<UserTokenClient>>();

  override async authenticateRequest(activity: Activity, authHeader: string): Promise<AuthenticateRequestResult> {
    const result = await super.authenticateRequest(activity, authHeader);
    if (!result.connectorFactory) return result;
    return {
      ...result,
      connectorFactory: new CachedConnectorFactory(result.connectorFactory, appIdOf(result.claimsIdentity), this.inboundConnectors),
    };
  }

  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    return new CachedConnectorFactory(super.createConnectorFactory(claimsIdentity), appIdOf(claimsIdentity), this.outboundConnectors);
  }

  override createUserTokenClient(claimsIdentity: ClaimsIdentity): Promise<UserTokenClient> {
    return cached(this.tokenClients, appIdOf(claimsIdentity), () => super.createUserTokenClient(claimsIdentity));
  }
}

/** A connector factory whose clients are made once per bot id, service URL and audience. */
class CachedConnectorFactory extends ConnectorFactory {
  constructor(
    private readonly inner: ConnectorFactory,
    private readonly appId: string,
    private readonly clients: Map<string, Promise<ConnectorClient>>,
  ) {
    super();
  }

  create(serviceUrl: string, audience?: string): Promise<ConnectorClient> {
    return cached(this.clients, `${this.appId}|${serviceUrl}|${audience ?? ''}`, () => this.inner.create(serviceUrl, audience));
  }
}

function appIdOf(identity: ClaimsIdentity): string {
  return identity.getClaimValue(AuthenticationConstants.AudienceClaim) ?? '';
}

/** The adapter, with the bot's own token for the bridge's Bot Connector client and the direct turn entry. */
export class ConnectorCachingCloudAdapter extends CloudAdapter {
  /**
   * The bot's bearer token for calls to this Bot Connector, from the credentials a proactive turn
   * to it would use (built by botbuilder per MicrosoftAppType; they cache and refresh the token).
   * Undefined when authentication is off: the local connector expects no token then.
   */
  async botToken(appId: string, serviceUrl: string): Promise<string | undefined> {
    if (appId === '') return undefined;
    const client = await this.botFrameworkAuthentication
      .createConnectorFactory(this.createClaimsIdentity(appId))
      .create(serviceUrl, undefined);
    const credentials = client.credentials as { getToken?: (force?: boolean) => Promise<string> } | undefined;
    if (typeof credentials?.getToken !== 'function') throw new Error('no Bot Framework credentials for this service URL');
    return credentials.getToken();
  }

  /**
   * An activity POSTed to the messaging endpoint, run as a turn by CloudAdapterBase's own
   * `processActivity` (its subclass API: authentication, the turn, the invoke response), without
   * what `process` adds around it: six zod schemas built and run over the whole activity per
   * request, and the HTTP writing, which the route owns. A request that fails authentication
   * throws botbuilder's AuthenticationError. Resolves with the invoke response, if any.
   * turn-entry.ts holds this and `process` side by side; a test proves they answer alike.
   */
  processBody(authHeader: string, body: Activity, logic: (context: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined> {
    return this.processActivity(authHeader, withDates(body), logic);
  }
}

/**
 * The activity with its wire timestamps as Dates (raw strings kept beside them), as `process`
 * leaves it for a turn (botbuilder's validateAndFixActivity, which its index does not export).
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
  const auth = new CachingBotFrameworkAuthentication(teamsAuthConfig(settings), options.credentialsFactory);
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
