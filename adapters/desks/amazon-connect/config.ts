/**
 * Amazon Connect chat through the Connect API (StartChatContact, real-time metrics) and the
 * Participant Service (connection, messages, events, attachments, transcript). Every key is
 * described in docs/amazon-connect.md. There are no secrets here: credentials come from the AWS
 * SDK's default provider chain (environment, shared config, container or instance role).
 */
import { z } from 'zod';

const endpoint = z
  .string()
  .url()
  .transform((u) => u.replace(/\/+$/, ''));

export const amazonConnectDeskSchema = z.object({
  /** The Connect instance's id (AMAZON_CONNECT_INSTANCE_ID). */
  instanceId: z.string({ required_error: 'is required (AMAZON_CONNECT_INSTANCE_ID)' }).min(1, 'is required (AMAZON_CONNECT_INSTANCE_ID)'),
  /** The inbound contact flow chats start in (AMAZON_CONNECT_CONTACT_FLOW_ID). */
  contactFlowId: z
    .string({ required_error: 'is required (AMAZON_CONNECT_CONTACT_FLOW_ID)' })
    .min(1, 'is required (AMAZON_CONNECT_CONTACT_FLOW_ID)'),
  /** The instance's region (AWS_REGION). */
  region: z
    .string({ required_error: 'is required (AWS_REGION)' })
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-west-1 (AWS_REGION)'),
  /** Connect API endpoint override: a VPC endpoint or a simulator (AMAZON_CONNECT_ENDPOINT). */
  endpoint: endpoint.optional(),
  /** Participant Service endpoint override (AMAZON_CONNECT_PARTICIPANT_ENDPOINT). */
  participantEndpoint: endpoint.optional(),
  /** The display name agents see when the surface gives no user name. */
  defaultCustomerName: z.string().min(1).max(256).default('Employee'),
  /** Static contact attributes sent with every chat, e.g. a brand the flow branches on. */
  attributes: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'attribute keys are letters, digits, _ and -'), z.string()).default({}),
  /** How user text is sent: markdown shows the surfaces' bold/links in the agent workspace. */
  messageContentType: z.enum(['text/markdown', 'text/plain']).default('text/markdown'),
  /** Longest message Connect takes (1,024 characters in the older docs, 16 KB in newer): longer text is split. */
  messageMaxChars: z.number().int().min(64).max(16_384).default(1024),
  /** ChatDurationInMinutes (60–10080); unset: Connect's default of 25 hours. */
  chatDurationMinutes: z.number().int().min(60).max(10_080).optional(),
  availability: z
    .object({
      /** The flow's queue (id or ARN) whose available agents decide the Start button; unset: `whenUnknown`. */
      queueId: z.string().min(1).optional(),
      /** Real-time metrics are throttled per account: one query serves every offer for this long. */
      cacheSeconds: z.number().int().min(0).default(15),
      /** The answer when there is no queue id or the metrics call fails. */
      whenUnknown: z.boolean().default(true),
    })
    .default({}),
  /** Send message.delivered receipts once the user's surface accepted an agent message. */
  deliveryReceipts: z.boolean().default(true),
  /** `aws/heartbeat` interval on each chat's WebSocket; two unanswered ones count as a dropped socket. */
  heartbeatSeconds: z.number().int().min(1).max(300).default(10),
  /** Files: agent attachments to the user and user files to the agent (Connect must have attachments enabled). */
  attachments: z.object({ enabled: z.boolean().default(true) }).default({}),
  requestTimeoutMs: z.number().int().min(100).default(10_000),
  retry: z
    .object({
      attempts: z.number().int().min(1).max(10).default(4),
      baseDelayMs: z.number().int().min(0).default(300),
      maxDelayMs: z.number().int().min(0).default(5_000),
    })
    .default({}),
  /** How long an open chat's record is kept without activity (Connect ends chats after 25 h by default). */
  chatTtlHours: z.number().int().min(1).default(26),
});

export type AmazonConnectSettings = z.infer<typeof amazonConnectDeskSchema>;
export type AmazonConnectSettingsInput = z.input<typeof amazonConnectDeskSchema>;
