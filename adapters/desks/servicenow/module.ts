/**
 * The ServiceNow desk as the composition root sees it: the connector, the webhook (and token)
 * routes to mount, the file-fetch check, and the start-up banner.
 */
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import type { OutboundSwitches } from '../../../bots/http/outbound-guard';
import type { DeskDeps, DeskModule } from '../index';
import type { ServiceNowSettings } from './config';
import { ServiceNowDesk } from './connector';
import { createWebhookRouter } from './webhook';
import { WebhookAuth } from './webhook-auth';

export interface ServiceNowModuleOptions {
  /** How long the FileVault keeps files (`bot.files.ttlMinutes`), so file grants outlive them. */
  fileTtlMs?: number;
  /** Tests inject a fetch that records or fails; defaults to the global one. */
  fetch?: typeof fetch;
  /** `server.outboundFetch`: whether agent files may come from http or private addresses. */
  outbound?: OutboundSwitches;
}

export function createServiceNowModule(
  settings: ServiceNowSettings | undefined,
  deps: DeskDeps,
  options: ServiceNowModuleOptions = {},
): DeskModule {
  if (!settings) {
    throw new BridgeError(
      ErrorCode.ConfigInvalid,
      'Invalid configuration:\n  - servicenow: required when desk is "servicenow" (at least SERVICENOW_INSTANCE_URL, credentials and SERVICENOW_WEBHOOK_SECRET; see docs/servicenow.md)',
    );
  }
  const desk = new ServiceNowDesk({
    store: deps.store,
    clock: deps.clock,
    logger: deps.logger,
    files: deps.files,
    settings,
    fileTtlMs: options.fileTtlMs,
    fetch: options.fetch,
    outbound: options.outbound,
  });
  const webhookAuth = new WebhookAuth(settings.webhook.auth, deps.clock);
  return {
    desk,
    mount: (app) =>
      app.use(
        createWebhookRouter({
          path: settings.webhook.path,
          maxBodyBytes: settings.webhook.maxBodyBytes,
          auth: webhookAuth,
          receiver: desk,
          logger: deps.logger,
        }),
      ),
    authorizeFileFetch: (req, entry) => desk.authorizeFileFetch(req, entry),
    banner: (baseUrl) => [
      `  ServiceNow instance:    ${settings.instanceUrl} (${settings.start.action}, auth ${settings.auth.mode}${settings.messageAuth.mode !== 'none' ? ` + message ${settings.messageAuth.mode}` : ''})`,
      `  ServiceNow outbound URL (Bot Connection): ${baseUrl}${settings.webhook.path}  [webhook auth: ${settings.webhook.auth.mode}]`,
      ...(settings.webhook.auth.mode === 'oauth'
        ? [`  OAuth token URL for ServiceNow's OAuth profile: ${baseUrl}${settings.webhook.path}/oauth/token`]
        : []),
    ],
  };
}
