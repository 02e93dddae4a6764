/**
 * ServiceNow Agent Chat as a desk: settings under `servicenow:` (docs/servicenow.md), secrets
 * from the SERVICENOW_* variables, the webhook under `webhook.path`.
 */
import { defineDesk } from '../descriptor';
import { servicenowDeskSchema } from './config';
import { createServiceNowModule } from './module';

export const servicenowDescriptor = defineDesk({
  name: 'servicenow',
  settings: servicenowDeskSchema,
  // No defaults make sense for an instance URL and its credentials.
  section: servicenowDeskSchema.optional(),
  env: {
    SERVICENOW_INSTANCE_URL: ['instanceUrl'],
    SERVICENOW_USERNAME: ['auth', 'username'],
    SERVICENOW_PASSWORD: ['auth', 'password'],
    SERVICENOW_CLIENT_ID: ['auth', 'clientId'],
    SERVICENOW_CLIENT_SECRET: ['auth', 'clientSecret'],
    SERVICENOW_SHARED_SECRET: ['messageAuth', 'secret'],
    SERVICENOW_WEBHOOK_SECRET: ['webhook', 'auth', 'secret'],
  },
  missingSettingsHint: 'at least SERVICENOW_INSTANCE_URL, credentials and SERVICENOW_WEBHOOK_SECRET; see docs/servicenow.md',
  create: (settings, deps) => createServiceNowModule(settings, deps),
});
