/**
 * The ServiceNow desk as the composition root sees it: the connector, the webhook (and token)
 * routes to mount under `webhook.path`, the file-fetch check, and the start-up banner. Its
 * settings are validated with the rest of the config at start-up (descriptor.ts).
 */
import type express from 'express';
import type { OutboundSwitches } from '../../../bots/http/outbound-guard';
import type { DeskDeps, DeskModule } from '../descriptor';
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
  settings: ServiceNowSettings,
  deps: DeskDeps,
  options: ServiceNowModuleOptions = {},
): DeskModule & { mount(app: express.Express): void } {
  const desk = new ServiceNowDesk({
    store: deps.store,
    clock: deps.clock,
    logger: deps.logger,
    files: deps.files,
    settings,
    fileTtlMs: options.fileTtlMs ?? deps.fileTtlMs,
    fetch: options.fetch,
    outbound: options.outbound ?? deps.outbound,
  });
  const webhookAuth = new WebhookAuth(settings.webhook.auth, deps.clock);
  const route = {
    prefix: settings.webhook.path,
    metricsLabel: 'servicenow',
    router: createWebhookRouter({ maxBodyBytes: settings.webhook.maxBodyBytes, auth: webhookAuth, receiver: desk, logger: deps.logger }),
  };
  return {
    desk,
    routes: [route],
    // For harnesses that build the module alone: the same route, mounted the same way.
    mount: (app) => app.use(route.prefix, route.router),
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
