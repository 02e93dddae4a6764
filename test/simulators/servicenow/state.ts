/** What the simulated instance remembers: conversations, requests, tokens, files, incidents. */

export interface SimAgent {
  /** live_profile sys_id, sent as `agentInfo.agentId`. */
  id: string;
  name: string;
  avatarUrl?: string;
  /** sys_user sys_id, as `ap_agent` in the presence view. */
  userSysId: string;
}

export interface SimDownload {
  url: string;
  /** The Authorization header the simulator sent (from `attachment.headers`). */
  authorization?: string;
  status: number;
  contentType?: string;
  bytes?: Buffer;
  error?: string;
}

export interface SimMessage {
  from: 'user' | 'agent' | 'note';
  text: string;
  agentIndex?: number;
  clientMessageId?: string;
  attachment?: { clientAttachmentId?: string; contentType?: string; fileName?: string; url?: string; headers?: Record<string, string> };
  /** Filled once the simulator fetched the attachment, as ServiceNow does. */
  download?: SimDownload;
  at: number;
}

export interface SimConversation {
  id: string;
  userId: string;
  emailId?: string;
  nowSessionId: string;
  interactionId: string;
  startAction: string;
  opening: {
    text: string;
    contextVariables: Record<string, string>;
    clientVariables?: Record<string, unknown>;
    history: unknown[];
    timestamp?: number;
    timezone?: string;
  };
  clientVariables?: Record<string, unknown>;
  status: 'queued' | 'live' | 'ended';
  endedBy?: 'user' | 'agent' | 'timeout';
  /** Agent indexes who joined, in order. */
  agents: number[];
  messages: SimMessage[];
  /** User messages that arrived after the end (a connector bug if any). */
  afterEnd: SimMessage[];
  typing: ('TYPING' | 'VIEWING')[];
  receipts: { id: string; status: string }[];
  lastRequestId: string;
}

export interface SimRequest {
  method: string;
  path: string;
  /** How the caller authenticated: basic, oauth, token, signature, or none. */
  auth: string;
  action?: string;
  body?: unknown;
  status: number;
  at: number;
}

export interface ScriptedFailure {
  status: number;
  retryAfter?: string;
  /** Answer after this many ms (longer than the client's timeout = a timeout). */
  delayMs?: number;
  /** Which path it applies to; default the VA API. */
  path?: string;
}

export interface SimIncident {
  sys_id: string;
  number: string;
  [field: string]: unknown;
}

/** User messages as the agent sees them (text only, in order). */
export function receivedTexts(conv: SimConversation): string[] {
  return conv.messages.filter((m) => m.from === 'user' && m.text.trim() !== '').map((m) => m.text);
}
