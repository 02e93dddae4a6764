/**
 * The Bot Framework adapter, built from explicit settings.
 *
 * botbuilder behaviours this file exists to neutralise:
 * - `new ConfigurationBotFrameworkAuthentication()` with no argument reads nothing (not even
 *   `process.env`) and silently turns authentication off. We always pass the settings object.
 * - When *any* endpoint override is set (tests, sovereign clouds), botbuilder treats *all* of
 *   them as given, so an unset one becomes `undefined` (no token issuer, no login URL, no OAuth
 *   scope) instead of the public-cloud default. We therefore always pass the full set: the
 *   public-cloud defaults with the configured overrides on top.
 * - A forged or not-yet-valid token is answered 500 instead of 401 (see
 *   StrictBotFrameworkAuthentication below).
 */
import {
  CallerIdConstants,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type Activity,
  type ConfigurationBotFrameworkAuthenticationOptions,
} from 'botbuilder';
import {
  AuthenticationConstants,
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
    ToBotFromChannelTokenIssuer:
      settings.ToBotFromChannelTokenIssuer ?? AuthenticationConstants.ToBotFromChannelTokenIssuer,
    ToChannelFromBotLoginUrl: settings.ToChannelFromBotLoginUrl ?? AuthenticationConstants.ToChannelFromBotLoginUrl,
    ToChannelFromBotOAuthScope:
      settings.ToChannelFromBotOAuthScope ?? AuthenticationConstants.ToChannelFromBotOAuthScope,
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
  return (
    err instanceof Error && ['JsonWebTokenError', 'NotBeforeError', 'TokenExpiredError'].includes(err.name)
  );
}

export function createTeamsAdapter(
  settings: TeamsSettings,
  logger: Logger,
  options: TeamsAdapterOptions = {},
): CloudAdapter {
  const auth = new StrictBotFrameworkAuthentication(teamsAuthConfig(settings), options.credentialsFactory);
  const adapter = new CloudAdapter(auth);

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
