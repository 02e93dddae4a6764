/**
 * ServiceNow Agent Chat through the Virtual Agent API (`sn_va_as_service`). Every key is
 * described in docs/servicenow.md. Secrets come from the environment (see config/env.ts) and
 * are never logged.
 */
import { z } from 'zod';

/** OOB sys_ids used by community scripts; they differ on some instances, so both are settable. */
export const OOB_CHAT_CHANNEL = '27f675e3739713004a905ee515f6a7c3';
export const OOB_AVAILABLE_STATE = '0b10223c57a313005baaaa65ef94f970';

const stringMap = z.record(z.string(), z.string());
const secret = z.string().min(1);

/** How the bridge authenticates to the instance's REST APIs (Table API, media upload, VA API). */
const restAuthSchema = z
  .object({
    mode: z.enum(['basic', 'oauth', 'none']).default('basic'),
    username: z.string().min(1).optional(),
    password: secret.optional(),
    clientId: z.string().min(1).optional(),
    clientSecret: secret.optional(),
    /** `password` works on every release; `client_credentials` needs Washington DC or later. */
    grantType: z.enum(['password', 'client_credentials']).default('password'),
    /** Fetch a new token this long before the current one expires. */
    refreshBeforeExpirySeconds: z.number().int().min(0).default(60),
  })
  .superRefine((a, ctx) => {
    const need = (key: 'username' | 'password' | 'clientId' | 'clientSecret', why: string) => {
      if (!a[key]) ctx.addIssue({ code: 'custom', path: [key], message: `is required ${why}` });
    };
    if (a.mode === 'basic') {
      need('username', 'for basic auth (SERVICENOW_USERNAME)');
      need('password', 'for basic auth (SERVICENOW_PASSWORD)');
    }
    if (a.mode === 'oauth') {
      need('clientId', 'for OAuth (SERVICENOW_CLIENT_ID)');
      need('clientSecret', 'for OAuth (SERVICENOW_CLIENT_SECRET)');
      if (a.grantType === 'password') {
        need('username', 'for the OAuth password grant (SERVICENOW_USERNAME)');
        need('password', 'for the OAuth password grant (SERVICENOW_PASSWORD)');
      }
    }
  });

/** ServiceNow's message auth on the VA API: a static `token` header or an `x-b2b-signature` HMAC. */
const messageAuthSchema = z
  .object({
    mode: z.enum(['none', 'token', 'signature']).default('none'),
    secret: secret.optional(),
  })
  .refine((m) => m.mode === 'none' || !!m.secret, { path: ['secret'], message: 'is required for message auth (SERVICENOW_SHARED_SECRET)' });

/** How ServiceNow's outbound REST call proves itself to our webhook. */
const webhookAuthSchema = z
  .object({
    /** `header`: a static header ServiceNow sends; `basic`/`oauth`: the outbound credential; `signature`: an HMAC of the body. */
    mode: z.enum(['header', 'basic', 'oauth', 'signature']).default('header'),
    /** The header carrying the secret (`header` mode) or the signature (`signature` mode). */
    header: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'an HTTP header name')
      .optional(),
    /** Basic user name ServiceNow's credential uses (`basic` mode). */
    username: z.string().min(1).optional(),
    /** OAuth client id ServiceNow's OAuth profile uses (`oauth` mode). */
    clientId: z.string().min(1).optional(),
    /** The shared secret: header value, basic password, OAuth client secret or HMAC key. */
    secret: z
      .string({ required_error: 'is required: the secret ServiceNow sends to our webhook (SERVICENOW_WEBHOOK_SECRET)' })
      .min(16, 'at least 16 characters (SERVICENOW_WEBHOOK_SECRET)'),
    /** Lifetime of tokens our token endpoint issues (`oauth` mode). */
    tokenTtlSeconds: z.number().int().min(60).default(3600),
  })
  .superRefine((w, ctx) => {
    if (w.mode === 'basic' && !w.username) ctx.addIssue({ code: 'custom', path: ['username'], message: 'is required in basic mode' });
    if (w.mode === 'oauth' && !w.clientId) ctx.addIssue({ code: 'custom', path: ['clientId'], message: 'is required in oauth mode' });
  });

export const servicenowDeskSchema = z
  .object({
    /** `https://<instance>.service-now.com` (SERVICENOW_INSTANCE_URL). */
    instanceUrl: z
      .string({ required_error: 'is required (SERVICENOW_INSTANCE_URL)' })
      .url()
      .transform((u) => u.replace(/\/+$/, '')),
    auth: restAuthSchema.default({}),
    messageAuth: messageAuthSchema.default({}),
    webhook: z
      .object({
        /** Where ServiceNow posts its replies; the OAuth token endpoint is `<path>/oauth/token`. */
        path: z
          .string()
          .regex(/^\/[\w\-/]*[\w-]$/, 'a path such as "/servicenow/webhook"')
          .default('/servicenow/webhook'),
        // Defaults to {} so a missing secret is reported by its own key, not as "auth: Required".
        auth: webhookAuthSchema.default({} as never),
        maxBodyBytes: z
          .number()
          .int()
          .min(1024)
          .default(1024 * 1024),
        /**
         * How long a delivered payload is remembered, so a redelivery reaches the user once.
         * 15 minutes: a mark per message, so no longer than the bridge's other per-message marks.
         */
        dedupeMinutes: z.number().int().min(1).default(15),
      })
      .default({} as never),
    start: z
      .object({
        /** `START_CONVERSATION` with `live_agent_only`, or the `AGENT` action. */
        action: z.enum(['START_CONVERSATION', 'AGENT']).default('START_CONVERSATION'),
        /** The provider application's inbound id, when the instance has several primary bots. */
        appInboundId: z.string().min(1).optional(),
      })
      .default({}),
    /** Which profile field becomes ServiceNow's `userId`; `email` falls back to the id. */
    userIdFrom: z.enum(['id', 'email']).default('id'),
    /** Sent with every chat, e.g. `LiveAgent_queue`, `LiveAgent_mandatory_skills`. */
    contextVariables: stringMap.default({}),
    /** Extra context variables per topic id, e.g. a queue per topic. */
    topicContextVariables: z.record(z.string(), stringMap).default({}),
    /**
     * How the user's recent conversation with the bot reaches the agent: `text`, the plain-text
     * extract (`bot.history.maxTextBytes`) at the end of the chat's first message, which every
     * agent workspace shows; `structured`, the Virtual Agent API's `history` field (not shown
     * by every instance); or `both`.
     */
    history: z.enum(['text', 'structured', 'both']).default('text'),
    /** Name shown for history lines the bot wrote. */
    botDisplayName: z.string().min(1).default('Virtual Agent'),
    /** Name used when ServiceNow does not say who the agent is. */
    defaultAgentName: z.string().min(1).default('Agent'),
    requestTimeoutMs: z.number().int().min(100).default(10_000),
    retry: z
      .object({
        attempts: z.number().int().min(1).max(10).default(4),
        baseDelayMs: z.number().int().min(0).default(500),
        /** Longest wait between attempts; a longer Retry-After ends the retries. */
        maxDelayMs: z.number().int().min(0).default(10_000),
      })
      .default({}),
    /** `UPDATE_MESSAGES` receipts (needs `third_party_chat=true` on the instance). */
    deliveryReceipts: z.boolean().default(true),
    /** `VIEWING` (stopped typing) is sent this long after the user's last typing signal. */
    typingIdleSeconds: z.number().int().min(1).default(6),
    files: z
      .object({
        /** `url`: ServiceNow downloads from the bridge; `upload`: push to `/api/now/v1/cccif/media/upload`. */
        mode: z.enum(['url', 'upload']).default('url'),
        /** How long a file URL given to ServiceNow works. */
        urlTtlMinutes: z.number().int().min(1).default(15),
        providerApplicationId: z.string().min(1).optional(),
        /** Largest agent file downloaded from the instance for the user. */
        maxDownloadBytes: z
          .number()
          .int()
          .min(1)
          .default(20 * 1024 * 1024),
      })
      .default({}),
    availability: z
      .object({
        /** Query `awa_agent_presence_capacity`; off: always available. */
        enabled: z.boolean().default(true),
        channelSysId: z.string().min(1).default(OOB_CHAT_CHANNEL),
        availableStateSysId: z.string().min(1).default(OOB_AVAILABLE_STATE),
        /** Count only agents with `ac_workload < ac_applied_max_capacity`. */
        requireFreeCapacity: z.boolean().default(true),
        cacheSeconds: z.number().int().min(0).default(15),
      })
      .default({}),
    incident: z
      .object({
        enabled: z.boolean().default(false),
        table: z.string().regex(/^\w+$/).default('incident'),
        shortDescriptionPrefix: z.string().default('Live chat: '),
        /** Static fields set on the record, e.g. `assignment_group`, `contact_type`. */
        fields: stringMap.default({}),
        /** Told to the user; `{number}` is the ticket number. */
        userMessage: z.string().default('I filed {number} for your request. The agent can see it.'),
      })
      .default({}),
    /** How long an open chat's record is kept without activity. */
    chatTtlHours: z.number().int().min(1).default(24),
  })
  .superRefine((s, ctx) => {
    if (s.auth.mode !== 'none') return;
    const rest = (path: (string | number)[], what: string) =>
      ctx.addIssue({ code: 'custom', path, message: `${what} needs REST credentials: set auth.mode to basic or oauth, or turn this off` });
    if (s.availability.enabled) rest(['availability', 'enabled'], 'the availability check (Table API)');
    if (s.incident.enabled) rest(['incident', 'enabled'], 'filing incidents (Table API)');
    if (s.files.mode === 'upload') rest(['files', 'mode'], 'media upload (message auth is not accepted there)');
    if (s.messageAuth.mode === 'none') {
      ctx.addIssue({ code: 'custom', path: ['auth', 'mode'], message: 'with auth.mode none, messageAuth must be token or signature' });
    }
  });

export type ServiceNowSettings = z.infer<typeof servicenowDeskSchema>;
export type ServiceNowSettingsInput = z.input<typeof servicenowDeskSchema>;
export type RestAuthSettings = ServiceNowSettings['auth'];
export type MessageAuthSettings = ServiceNowSettings['messageAuth'];
export type WebhookAuthSettings = ServiceNowSettings['webhook']['auth'];
