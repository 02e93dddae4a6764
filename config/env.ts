/**
 * Environment variables the bridge reads, and where each lands in the configuration.
 * Environment wins over the config file, so a deployment can override one value.
 */
export const envMapping: Record<string, string[]> = {
  PORT: ['server', 'port'],
  HOST: ['server', 'host'],
  PUBLIC_URL: ['server', 'publicUrl'],
  LOG_LEVEL: ['server', 'logLevel'],
  REDIS_URL: ['store', 'redisUrl'],
  STORE_NAMESPACE: ['store', 'namespace'],
  DESK: ['desk'],
  MicrosoftAppId: ['teams', 'MicrosoftAppId'],
  MicrosoftAppPassword: ['teams', 'MicrosoftAppPassword'],
  MicrosoftAppType: ['teams', 'MicrosoftAppType'],
  MicrosoftAppTenantId: ['teams', 'MicrosoftAppTenantId'],
};

/** The variable that names the optional config file (YAML or JSON). */
export const CONFIG_FILE_VAR = 'BRIDGE_CONFIG';
