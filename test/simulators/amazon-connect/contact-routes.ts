/**
 * The Connect API calls a bridge makes (SigV4-signed by the SDK; the server only insists the
 * Authorization header is there): StartChatContact (`PUT /contact/chat`) and the real-time metrics
 * for availability (`POST /metrics/current/{InstanceId}`).
 */
import type { SimContext } from './context';
import { AwsError, int, type Route, str } from './http';
import { MESSAGE_TYPES } from './items';
import type { StartDetails } from './state';

const notFound = (message: string) => new AwsError(404, 'ResourceNotFoundException', message);
const invalidParameter = (message: string) => new AwsError(400, 'InvalidParameterException', message);
const invalidRequest = (message: string) => new AwsError(400, 'InvalidRequestException', message);

/** SupportedMessagingContentTypes Connect knows (text/plain must be among them). */
const SUPPORTED_TYPES = [...MESSAGE_TYPES, 'application/vnd.amazonaws.connect.message.interactive'];
const ATTRIBUTE_KEY = /^[A-Za-z0-9_-]+$/;

export interface ContactRouteOptions {
  /** Concurrent active chats before StartChatContact answers LimitExceededException (429). */
  maxActiveChats: number;
}

/**
 * The Connect API has no ValidationException: a field outside its constraints is an
 * InvalidParameterException there (the shared field checks speak the Participant Service's name).
 */
function asConnect(route: Route): Route {
  return {
    ...route,
    handle: async (request) => {
      try {
        return await route.handle(request);
      } catch (e) {
        if (e instanceof AwsError && e.errorType === 'ValidationException') throw invalidParameter(e.message);
        throw e;
      }
    },
  };
}

export function contactRoutes(sim: SimContext, options: ContactRouteOptions): Route[] {
  const routes: Route[] = [
    {
      operation: 'StartChatContact',
      method: 'PUT',
      path: '/contact/chat',
      auth: 'sigv4',
      handle: ({ json }) => {
        const body = json();
        const instanceId = str(body, 'InstanceId', { required: true, min: 1, max: 100 });
        const contactFlowId = str(body, 'ContactFlowId', { required: true, min: 1, max: 500 });
        const details = (body.ParticipantDetails ?? undefined) as Record<string, unknown> | undefined;
        if (!details || typeof details !== 'object') throw invalidParameter("'ParticipantDetails' is required");
        const displayName = str(details, 'DisplayName', { required: true, min: 1, max: 256 }) as string;
        const clientToken = str(body, 'ClientToken', { max: 500 }) ?? `generated-${Date.now()}-${Math.random()}`;

        const earlier = sim.state.byClientToken.get(clientToken);
        if (earlier) {
          // Idempotency: the same token answers the same contact; reusing it for another request is refused.
          if (
            earlier.instanceId !== instanceId ||
            earlier.contactFlowId !== contactFlowId ||
            earlier.customer.displayName !== displayName
          ) {
            throw new AwsError(409, 'IdempotencyException', 'An entity with the same ClientToken already exists with different parameters');
          }
          return { json: startResponse(earlier) };
        }
        if (instanceId !== sim.state.instanceId) throw notFound(`Instance ${instanceId} not found`);
        if (contactFlowId !== sim.state.contactFlowId) throw notFound(`Contact flow ${contactFlowId} not found`);

        const start: StartDetails = {
          clientToken,
          attributes: attributes(body.Attributes, sim.limits.attributesMaxBytes),
          supportedContentTypes: supportedTypes(body.SupportedMessagingContentTypes),
          chatDurationInMinutes: int(body, 'ChatDurationInMinutes', 60, 10080) ?? 25 * 60,
        };
        const initial = body.InitialMessage as Record<string, unknown> | undefined;
        if (initial !== undefined) {
          const contentType = str(initial, 'ContentType', { required: true, min: 1, max: 100 }) as string;
          if (!MESSAGE_TYPES.includes(contentType)) throw invalidRequest(`InitialMessage.ContentType ${contentType} is not supported`);
          const content = str(initial, 'Content', { required: true, min: 1, max: sim.limits.messageMaxLength }) as string;
          start.initialMessage = { ContentType: contentType, Content: content };
        }
        const active = [...sim.state.contacts.values()].filter((c) => c.status !== 'ended').length;
        if (active >= options.maxActiveChats) throw new AwsError(429, 'LimitExceededException', 'Concurrent active chats limit exceeded');

        const contact = sim.state.createContact(start, displayName);
        if (start.initialMessage) {
          sim.state.addItem(contact, contact.customer, { Type: 'MESSAGE', ...start.initialMessage });
        }
        sim.started(contact);
        return { json: startResponse(contact) };
      },
    },
    {
      operation: 'GetCurrentMetricData',
      method: 'POST',
      path: '/metrics/current/{InstanceId}',
      auth: 'sigv4',
      handle: ({ params, json }) => {
        const body = json();
        if (params.InstanceId !== sim.state.instanceId) throw notFound(`Instance ${params.InstanceId} not found`);
        const filters = body.Filters as { Queues?: unknown; Channels?: unknown } | undefined;
        if (!filters || typeof filters !== 'object') throw invalidParameter("'Filters' is required");
        const metrics = body.CurrentMetrics;
        if (!Array.isArray(metrics) || metrics.length === 0) throw invalidParameter("'CurrentMetrics' is required");
        const queues = Array.isArray(filters.Queues) ? (filters.Queues as string[]) : [];
        const groupings = Array.isArray(body.Groupings) ? (body.Groupings as string[]) : [];
        const queueArn = `arn:aws:connect:local:000000000000:instance/${sim.state.instanceId}/queue/${sim.state.queueId}`;
        // A queue may be named by id or ARN; a queue the instance does not have yields no result row.
        const ours = queues.some((q) => q === sim.state.queueId || q === queueArn);
        const values: Record<string, number> = {
          AGENTS_AVAILABLE: sim.state.agentsAvailable,
          AGENTS_ONLINE: sim.state.agentsOnline,
          CONTACTS_IN_QUEUE: [...sim.state.contacts.values()].filter((c) => c.status === 'queued').length,
        };
        const collections = (metrics as { Name?: string; Unit?: string }[]).map((m) => {
          if (!m || typeof m.Name !== 'string' || !(m.Name in values))
            throw invalidParameter(`Metric ${m?.Name} is not supported by the simulator`);
          return { Metric: { Name: m.Name, Unit: m.Unit ?? 'COUNT' }, Value: values[m.Name] };
        });
        const dimensions: Record<string, unknown> = {};
        if (groupings.includes('QUEUE') || groupings.length === 0) dimensions.Queue = { Id: sim.state.queueId, Arn: queueArn };
        if (groupings.includes('CHANNEL')) dimensions.Channel = 'CHAT';
        const results = ours ? [{ Dimensions: dimensions, Collections: collections }] : [];
        return { json: { MetricResults: results, DataSnapshotTime: Date.now() / 1000, ApproximateTotalCount: results.length } };
      },
    },
  ];
  return routes.map(asConnect);
}

function startResponse(contact: {
  contactId: string;
  customer: { participantId: string };
  participantToken: string;
  initialContactId: string;
}) {
  return { ContactId: contact.initialContactId, ParticipantId: contact.customer.participantId, ParticipantToken: contact.participantToken };
}

function attributes(value: unknown, maxBytes: number): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidParameter("'Attributes' must be a map of strings");
  let bytes = 0;
  for (const [key, v] of Object.entries(value)) {
    if (!ATTRIBUTE_KEY.test(key)) throw invalidParameter(`Attribute key ${key} may hold only letters, digits, dash and underscore`);
    if (typeof v !== 'string') throw invalidParameter(`Attribute ${key} must be a string`);
    bytes += Buffer.byteLength(key) + Buffer.byteLength(v);
  }
  if (bytes > maxBytes)
    throw invalidRequest(`Attributes are ${bytes} bytes; the limit is ${maxBytes} UTF-8 bytes across all keys and values`);
  return value as Record<string, string>;
}

function supportedTypes(value: unknown): string[] {
  if (value === undefined || value === null) return ['text/plain'];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw invalidParameter("'SupportedMessagingContentTypes' must be a list of strings");
  const unknown = value.filter((v) => !SUPPORTED_TYPES.includes(v));
  if (unknown.length > 0) throw invalidRequest(`Unsupported messaging content types: ${unknown.join(', ')}`);
  if (!value.includes('text/plain')) throw invalidRequest("SupportedMessagingContentTypes must include 'text/plain'");
  return value as string[];
}
