/**
 * Core values -> the Virtual Agent API's inbound requests (the "back" half of the mapper). Pure:
 * ids and time come in from the caller.
 *
 * Choices where agent-apis.md §1 is unsure: timestamps are sent as 13-digit milliseconds (the
 * field's documented unit; examples with 10 digits are accepted by the simulator); the message
 * auth token goes in the `token` header, not the body; one attachment per request, as an object
 * (the array form is documented but rarely shown).
 */
import type { HistoryEntry, OpenChatRequest } from '../../../bots/core/ports';
import type { ServiceNowSettings } from './config';
import type { InboundAction, InboundRequest, ReceiptStatus, WireAttachment, WireHistoryEntry } from './wire-types';

/** Who the chat is for, kept in the chat record so every later request carries the same. */
export interface Requester {
  sessionId: string;
  userId: string;
  emailId?: string;
  timezone?: string;
  appInboundId?: string;
}

export function requesterOf(req: OpenChatRequest, settings: Pick<ServiceNowSettings, 'userIdFrom' | 'start'>): Requester {
  const email = req.user.email?.trim() || undefined;
  return {
    sessionId: req.sessionId,
    userId: settings.userIdFrom === 'email' && email ? email : req.user.id,
    ...(email ? { emailId: email } : {}),
    ...(req.user.timeZone ? { timezone: req.user.timeZone } : {}),
    ...(settings.start.appInboundId ? { appInboundId: settings.start.appInboundId } : {}),
  };
}

function envelope(who: Requester, requestId: string, now: number) {
  return {
    requestId,
    clientSessionId: who.sessionId,
    userId: who.userId,
    ...(who.emailId ? { emailId: who.emailId } : {}),
    timestamp: now,
    ...(who.timezone ? { timezone: who.timezone } : {}),
    ...(who.appInboundId ? { appInboundId: who.appInboundId } : {}),
  };
}

/** The heading above the history extract in the first message. */
export const HISTORY_HEADING = 'Conversation with the bot before the handoff:';

/**
 * The text the agent sees first: the title, the details, the topic and the ticket, and (with
 * `history: text` or `both`) the plain-text extract of what the user said to the bot.
 */
export function openingText(
  req: OpenChatRequest,
  incidentNumber?: string,
  settings: Pick<ServiceNowSettings, 'history'> = { history: 'text' },
): string {
  const details = req.details.trim();
  const parts = [details.startsWith(req.title.trim()) ? details : [req.title.trim(), details].filter(Boolean).join('\n\n')];
  const facts = [req.topic ? `Topic: ${req.topic.label}` : '', incidentNumber ? `Ticket: ${incidentNumber}` : ''].filter(Boolean);
  if (facts.length > 0) parts.push(facts.join('\n'));
  if (settings.history !== 'structured' && req.historyText) parts.push(`${HISTORY_HEADING}\n${req.historyText}`);
  return parts.filter(Boolean).join('\n\n');
}

/** Routing context: language, region, topic, the configured keys, and the ticket number. */
export function contextVariables(
  req: OpenChatRequest,
  settings: Pick<ServiceNowSettings, 'start' | 'contextVariables' | 'topicContextVariables'>,
  incidentNumber?: string,
): Record<string, string> {
  const vars: Record<string, string> = {};
  if (settings.start.action === 'START_CONVERSATION') vars.live_agent_only = 'true';
  for (const [k, v] of Object.entries(req.routing)) vars[k] = String(v);
  // ServiceNow's own names for the same facts, which its routing and translation read.
  if (req.routing.language) vars.requester_session_language = req.routing.language;
  if (req.user.timeZone) vars.deviceTimeZone = req.user.timeZone;
  if (req.topic) {
    vars.topic = req.topic.id;
    vars.topic_label = req.topic.label;
  }
  Object.assign(vars, settings.contextVariables, req.topic ? settings.topicContextVariables[req.topic.id] : undefined);
  if (incidentNumber) vars.incident_number = incidentNumber;
  return vars;
}

export function historyOf(history: HistoryEntry[], userName: string, botName: string): WireHistoryEntry[] {
  return history.map((h) => ({
    displayName: h.from === 'bot' ? botName : userName,
    isBotMessage: h.from === 'bot',
    timestamp: String(h.at),
    type: 'text' as const,
    value: h.text,
  }));
}

export interface OpenInput {
  request: OpenChatRequest;
  who: Requester;
  requestId: string;
  now: number;
  incidentNumber?: string;
}

/** START_CONVERSATION (live agent only) or AGENT, carrying the opening text and everything for routing. */
export function openRequest(input: OpenInput, settings: ServiceNowSettings): InboundRequest {
  const { request, who } = input;
  return {
    ...envelope(who, input.requestId, input.now),
    action: settings.start.action satisfies InboundAction,
    message: { text: openingText(request, input.incidentNumber, settings), typed: true, clientMessageId: `${request.sessionId}:opening` },
    contextVariables: contextVariables(request, settings, input.incidentNumber),
    clientVariables: {
      bridgeSessionId: request.sessionId,
      surface: request.surface,
      bridgeUserId: request.user.id,
      ...(input.incidentNumber ? { incidentNumber: input.incidentNumber } : {}),
    },
    // With `text` but no extract (`bot.history.maxTextBytes: 0`) the field still carries it.
    ...((settings.history !== 'text' || !request.historyText) && request.history.length > 0
      ? { history: historyOf(request.history, request.user.name, settings.botDisplayName) }
      : {}),
  };
}

/** A user message: text, or one attachment (with the text when it is the first part). */
export function messageRequest(
  who: Requester,
  requestId: string,
  now: number,
  part: { text: string; clientMessageId: string; attachment?: WireAttachment },
): InboundRequest {
  return {
    ...envelope(who, requestId, now),
    message: {
      text: part.text,
      typed: true,
      clientMessageId: part.clientMessageId,
      ...(part.attachment ? { attachment: part.attachment } : {}),
    },
  };
}

export function actionRequest(
  who: Requester,
  requestId: string,
  now: number,
  action: 'TYPING' | 'VIEWING' | 'END_CONVERSATION',
): InboundRequest {
  // END_CONVERSATION requires an empty text; typing signals carry none either.
  return { ...envelope(who, requestId, now), action, message: { text: '', typed: true } };
}

export function receiptsRequest(
  who: Requester,
  requestId: string,
  now: number,
  receipts: { id: string; status: ReceiptStatus }[],
): InboundRequest {
  return { ...envelope(who, requestId, now), action: 'UPDATE_MESSAGES', message: receipts };
}
