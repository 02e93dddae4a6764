/**
 * Amazon Connect chat as a desk: settings under `amazon-connect:` (docs/amazon-connect.md), the
 * instance, flow and endpoints from the AMAZON_CONNECT_* variables, the region from AWS_REGION.
 * No routes: each chat's events come over its own WebSocket (the core's ChatStreamOwner holds it).
 */
import { defineDesk } from '../descriptor';
import { amazonConnectDeskSchema } from './config';
import { AmazonConnectDesk } from './desk';

export const amazonConnectDescriptor = defineDesk({
  name: 'amazon-connect',
  settings: amazonConnectDeskSchema,
  // No defaults make sense for an instance and its contact flow.
  section: amazonConnectDeskSchema.optional(),
  env: {
    AMAZON_CONNECT_INSTANCE_ID: ['instanceId'],
    AMAZON_CONNECT_CONTACT_FLOW_ID: ['contactFlowId'],
    AMAZON_CONNECT_ENDPOINT: ['endpoint'],
    AMAZON_CONNECT_PARTICIPANT_ENDPOINT: ['participantEndpoint'],
    AMAZON_CONNECT_QUEUE_ID: ['availability', 'queueId'],
  },
  // Set on many AWS hosts for other software too: read only when this desk is configured.
  sharedEnv: { AWS_REGION: ['region'] },
  missingSettingsHint: 'at least AMAZON_CONNECT_INSTANCE_ID, AMAZON_CONNECT_CONTACT_FLOW_ID and AWS_REGION; see docs/amazon-connect.md',
  create(settings, deps) {
    const desk = new AmazonConnectDesk({
      settings,
      store: deps.store,
      clock: deps.clock,
      logger: deps.logger,
      files: deps.files,
      fileMaxBytes: deps.fileLimits?.maxBytes,
    });
    return {
      desk,
      banner: () => [
        `  Amazon Connect:         instance ${settings.instanceId} in ${settings.region}, flow ${settings.contactFlowId}${settings.endpoint ? ` (endpoint ${settings.endpoint})` : ''}`,
      ],
    };
  },
});
