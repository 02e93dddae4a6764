/**
 * ServiceNow's wire formats for the Virtual Agent API (`/api/sn_va_as_service/bot/integration`),
 * its outbound payloads, and the Table API rows we read. Private to this folder: nothing here
 * crosses the Desk port (mapper.ts translates both ways).
 *
 * Outbound shapes are typed loosely on purpose: the reference is unsure about several of them
 * (agent info on actions, typing action names, body as object or array), so every field is
 * optional and checked where it is read.
 */

/** `action` values of an inbound request that the bridge sends. */
export type InboundAction = 'START_CONVERSATION' | 'AGENT' | 'END_CONVERSATION' | 'TYPING' | 'VIEWING' | 'UPDATE_MESSAGES';

export interface WireAttachment {
  clientAttachmentId: string;
  contentType: string;
  fileName: string;
  url: string;
  /** Headers ServiceNow sends when it downloads `url`. */
  headers?: { Authorization: string };
}

export interface WireMessage {
  /** Required unless there is an attachment; `""` for END_CONVERSATION. */
  text: string;
  /** true = typed by the user, false = an option picked. */
  typed: boolean;
  clientMessageId?: string;
  attachment?: WireAttachment;
}

export type ReceiptStatus = 'sent_to_user' | 'external_error';

export interface WireHistoryEntry {
  displayName: string;
  isBotMessage: boolean;
  /** 13-digit epoch milliseconds, as a string. */
  timestamp: string;
  type: 'text';
  value: string;
}

/** What the bridge POSTs to `/api/sn_va_as_service/bot/integration`. */
export interface InboundRequest {
  requestId: string;
  clientSessionId: string;
  userId: string;
  emailId?: string;
  action?: InboundAction;
  /** An array of receipts for UPDATE_MESSAGES, a message otherwise. */
  message: WireMessage | { id: string; status: ReceiptStatus }[];
  contextVariables?: Record<string, string>;
  clientVariables?: Record<string, string>;
  history?: WireHistoryEntry[];
  timestamp?: number;
  timezone?: string;
  appInboundId?: string;
}

export interface WireAgentInfo {
  sentFromAgent?: boolean | string;
  agentName?: string;
  agentAvatar?: string;
  agentId?: string;
}

/** One `body[]` item of an outbound payload, discriminated on `uiType` (+ `actionType`). */
export interface WireBodyItem {
  uiType?: string;
  actionType?: string;
  group?: string;
  /** OutputText: markdown; OutputImage: URL; OutputLink: `{action, target}` (or a URL). */
  value?: unknown;
  label?: string;
  header?: string;
  altText?: string;
  /** OutputCard: a JSON string. */
  data?: unknown;
  /** ActionMsg System / StartSpinner text. */
  message?: string;
  messageId?: string;
  maskType?: string;
  spinnerType?: string;
  /** "13 Seconds", "2 Minutes"; sometimes a number of seconds. */
  waitTime?: unknown;
  promptMsg?: string;
  agentInfo?: WireAgentInfo;
}

/** What ServiceNow POSTs to the outbound URL (our webhook). */
export interface OutboundPayload {
  requestId?: string;
  clientSessionId?: string;
  nowSessionId?: string;
  userId?: string;
  body?: WireBodyItem[] | WireBodyItem;
  agentChat?: boolean | string;
  completed?: boolean | string;
  takeControl?: boolean | string;
  score?: number;
  interactionId?: string;
  clientVariables?: Record<string, unknown>;
  appInboundId?: string;
}

/** The `{"status":"success"}` / `{"status":"failure","error":{...}}` answer of the VA API. */
export interface InboundResponse {
  status?: string;
  error?: { message?: string; detail?: string };
}

/** A Table API field: plain, `{link, value}` (reference) or `{display_value, value}`. */
export type TableValue = string | number | boolean | null | { value?: unknown; display_value?: unknown; link?: string };

export interface PresenceCapacityRow {
  ap_agent?: TableValue;
  ap_current_presence_state?: TableValue;
  ac_channel?: TableValue;
  aca_available?: TableValue;
  ac_workload?: TableValue;
  ac_applied_max_capacity?: TableValue;
}

export interface TableResult<T> {
  result?: T;
}

export interface MediaUploadResult {
  result?: { mediaUrl?: string; name?: string; state?: string; attachmentId?: string };
}
