/**
 * Environment variables the bridge reads, and where each lands in the configuration.
 * Environment wins over the config file, so a deployment can override one value.
 * Each desk's own variables come from its descriptor (adapters/desks/<system>/descriptor.ts).
 */
import { deskEnvMapping, deskSharedEnvMapping } from './desks';

export const envMapping: Record<string, string[]> = {
  PORT: ['server', 'port'],
  HOST: ['server', 'host'],
  PUBLIC_URL: ['server', 'publicUrl'],
  LOG_LEVEL: ['server', 'logLevel'],
  METRICS_TOKEN: ['server', 'metricsToken'],
  OUTBOUND_FETCH_ALLOW_PRIVATE_NETWORKS: ['server', 'outboundFetch', 'allowPrivateNetworks'],
  OUTBOUND_FETCH_ALLOW_HTTP: ['server', 'outboundFetch', 'allowHttp'],
  REDIS_URL: ['store', 'redisUrl'],
  STORE_NAMESPACE: ['store', 'namespace'],
  DESK: ['desk'],
  ...deskEnvMapping,
  BROADCAST_TOKEN: ['broadcasts', 'token'],
  MicrosoftAppId: ['teams', 'MicrosoftAppId'],
  MicrosoftAppPassword: ['teams', 'MicrosoftAppPassword'],
  MicrosoftAppType: ['teams', 'MicrosoftAppType'],
  MicrosoftAppTenantId: ['teams', 'MicrosoftAppTenantId'],
  WEB_CHAT_ENABLED: ['web', 'enabled'],
  WEB_CHAT_SECRET: ['web', 'secret'],
  WEB_CHAT_ALLOW_GUESTS: ['web', 'allowGuests'],
  SLACK_BOT_TOKEN: ['slack', 'botToken'],
  SLACK_SIGNING_SECRET: ['slack', 'signingSecret'],
  SLACK_APP_TOKEN: ['slack', 'appToken'],
  SLACK_API_URL: ['slack', 'apiUrl'],
};

/** Variables shared with other software (e.g. a cloud region): they land only in a configured desk's section. */
export const sharedEnvMapping: Record<string, string[]> = deskSharedEnvMapping;

/** The variable that names the optional config file (YAML or JSON). */
export const CONFIG_FILE_VAR = 'BRIDGE_CONFIG';
