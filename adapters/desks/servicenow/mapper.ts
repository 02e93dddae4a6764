/**
 * ServiceNow's outbound payloads -> core `DeskEvent`s. Pure: the chat's state goes in, the
 * events and the next state come out; the connector does the I/O (store, sink, receipts, files).
 *
 * Where agent-apis.md §1 is unsure, every documented variant is accepted:
 * - the end of a live chat is a `System` "closed" line, `SwitchToVirtualAgent`, `completed:true`
 *   or `takeControl:true`, alone or together; the first one ends it and the rest are ignored;
 * - an agent's arrival is `SwitchToLiveAgent` (with or without `agentInfo`) and/or a `System`
 *   "... has entered the chat" line, or simply their first message;
 * - typing is `Start/EndTypingIndicator` with or without the `ActionMsg` suffix;
 * - `body` may be an array or a single object; booleans may arrive as strings.
 * Anything unknown is reported in `ignored` (the connector logs it) and never throws.
 */
import type { DeskEvent, FileRef } from '../../../bots/core/ports';
import { agentInfo, agentLeaves, fromAgent, resolveAgent, sightingOf, type KnownAgent } from './agents';
import { classifySystem, contentTypeOf, fileNameFromUrl, htmlToText, isHttpUrl, linkOf, parseWaitSeconds, renderCard } from './render';
import type { OutboundPayload, WireAgentInfo, WireBodyItem } from './wire-types';

export type ChatStatus = 'queued' | 'live' | 'ended';

export interface ChatState {
  status: ChatStatus;
  agents: KnownAgent[];
}

export interface MapOptions {
  sessionId: string;
  /** A stable id of the payload (a hash of its bytes), for items ServiceNow gave no id. */
  payloadId: string;
  defaultAgentName: string;
  /** `https://<instance>`: links to attachments there are fetched with our credentials. */
  instanceOrigin: string;
}

export interface MappedPayload {
  state: ChatState;
  events: DeskEvent[];
  /** ServiceNow `messageId`s of the agent messages in `events`, for delivery receipts. */
  receipts: string[];
  /** `uiType` or `ActionMsg/actionType` values not relayed, for the log. */
  ignored: string[];
}

/** Actions that need nothing from us (VA plumbing, presence, progress). */
const NO_OPS = new Set([
  'EndSpinner',
  'StartConversation',
  'CreateConversation',
  'SubscribeToChatPresence',
  'ChatSubHeader',
  'DynamicLoader',
  'SwitchConversation',
]);
const TYPING = /^(Start|End)TypingIndicator(?:ActionMsg|Msg)?$/;

export function mapOutbound(payload: OutboundPayload, chat: ChatState, o: MapOptions): MappedPayload {
  const out: MappedPayload = { state: { status: chat.status, agents: chat.agents }, events: [], receipts: [], ignored: [] };
  // Whatever follows an end (the VA's "anything else?", late agent lines) is not for the user.
  if (chat.status === 'ended') return out;
  const items = bodyItems(payload.body);
  for (let i = 0; i < items.length && out.state.status !== 'ended'; i++) mapItem(items, i, out, o);
  if (out.state.status !== 'ended' && (truthy(payload.completed) || truthy(payload.takeControl))) end(out, o);
  return out;
}

function mapItem(items: WireBodyItem[], i: number, out: MappedPayload, o: MapOptions): void {
  const item = items[i];
  const id = typeof item.messageId === 'string' && item.messageId ? item.messageId : `${o.payloadId}:${i}`;
  switch (item.uiType) {
    case 'OutputText':
      say(out, o, item, id, typeof item.value === 'string' ? item.value : '');
      return;
    case 'OutputHtml':
      say(out, o, item, id, typeof item.value === 'string' ? htmlToText(item.value) : '');
      return;
    case 'OutputCard':
      say(out, o, item, id, renderCard(item) ?? '');
      return;
    case 'OutputImage': {
      const url = typeof item.value === 'string' && isHttpUrl(item.value) ? item.value : undefined;
      if (!url) return void out.ignored.push('OutputImage without a URL');
      const alt = item.altText?.trim();
      const name = (alt && /\.\w{1,8}$/.test(alt) ? alt : undefined) ?? fileNameFromUrl(url) ?? alt ?? 'image';
      say(out, o, item, id, '', { name, contentType: contentTypeOf(name, 'image/png'), url }, alt || name);
      return;
    }
    case 'OutputLink': {
      const link = linkOf(item);
      if (!link) return void out.ignored.push('OutputLink without a URL');
      const markdown = link.label === link.url ? link.url : `[${link.label.replace(/[[\]]/g, '')}](${link.url})`;
      if (!isAttachmentUrl(link.url, o.instanceOrigin)) {
        say(out, o, item, id, markdown);
        return;
      }
      const name = /\.\w{1,8}$/.test(link.label) ? link.label : (fileNameFromUrl(link.url) ?? link.label);
      say(out, o, item, id, '', { name, contentType: contentTypeOf(name, 'application/octet-stream'), url: link.url }, markdown);
      return;
    }
    case 'ActionMsg':
      action(items, i, out, o, id);
      return;
    default:
      out.ignored.push(String(item.uiType ?? '(no uiType)'));
  }
}

/**
 * Text (and at most one file) from the agent or, without agent info, from the desk itself.
 * `fallback` is what a system line shows for a file (the desk's own files are only linked).
 */
function say(out: MappedPayload, o: MapOptions, item: WireBodyItem, id: string, text: string, file?: FileRef, fallback?: string): void {
  if (!text.trim() && !file) return;
  if (fromAgent(item.agentInfo)) {
    const agent = join(out, o, item.agentInfo);
    out.events.push({ type: 'agentMessage', sessionId: o.sessionId, agent, messageId: id, text, ...(file ? { files: [file] } : {}) });
    if (item.messageId) out.receipts.push(item.messageId);
    return;
  }
  const shown = text.trim() ? text : file?.url ? `[${fallback ?? file.name}](${file.url})` : '';
  if (shown) out.events.push({ type: 'systemMessage', sessionId: o.sessionId, messageId: id, text: shown });
}

function action(items: WireBodyItem[], i: number, out: MappedPayload, o: MapOptions, id: string): void {
  const item = items[i];
  const type = String(item.actionType ?? '');
  const { status } = out.state;
  if (type === 'StartSpinner' || type === 'SubscribeToSupportQueue') {
    if (status !== 'queued') return;
    const wait = type === 'StartSpinner' ? parseWaitSeconds(item.waitTime) : undefined;
    out.events.push({ type: 'queued', sessionId: o.sessionId, ...(wait !== undefined ? { estimatedWaitSeconds: wait } : {}) });
    return;
  }
  if (type === 'SwitchToLiveAgent') {
    if (sightingOf(item.agentInfo)) return void join(out, o, item.agentInfo);
    // Usually followed by "X has entered the chat" or the agent's first words: let those name them.
    if (status === 'queued' && !items.slice(i + 1).some(namesAnAgent)) join(out, o, undefined);
    out.state.status = 'live';
    return;
  }
  if (type === 'System') {
    system(out, o, item, id);
    return;
  }
  if (type === 'SwitchToVirtualAgent') {
    end(out, o);
    return;
  }
  const typing = TYPING.exec(type);
  if (typing) {
    if (status !== 'live') return;
    const seen = sightingOf(item.agentInfo);
    const known = seen ? out.state.agents.find((a) => (seen.id && a.snIds.includes(seen.id)) || a.name === seen.name) : undefined;
    out.events.push({ type: 'typing', sessionId: o.sessionId, on: typing[1] === 'Start', ...(known ? { agent: agentInfo(known) } : {}) });
    return;
  }
  if (!NO_OPS.has(type)) out.ignored.push(`ActionMsg/${type || '(no actionType)'}`);
}

function system(out: MappedPayload, o: MapOptions, item: WireBodyItem, id: string): void {
  const text = [item.message, item.value].find((v): v is string => typeof v === 'string' && v.trim() !== '')?.trim();
  if (!text) return;
  const line = classifySystem(text);
  switch (line.kind) {
    case 'entered':
      // The core announces joins in its own words; the desk's line would say it twice.
      return void join(out, o, { ...item.agentInfo, agentName: item.agentInfo?.agentName ?? line.name });
    case 'left': {
      const gone = agentLeaves(out.state.agents, line.name);
      if (!gone) break;
      out.state.agents = gone.agents;
      out.events.push({ type: 'agentLeft', sessionId: o.sessionId, agent: agentInfo(gone.agent) });
      return;
    }
    case 'closed':
    case 'timedOut':
      end(out, o, text);
      return;
    case 'other':
      break;
  }
  out.events.push({ type: 'systemMessage', sessionId: o.sessionId, messageId: id, text });
}

/** The agent behind `info` joins if new; returns who they are for the core. */
function join(out: MappedPayload, o: MapOptions, info: WireAgentInfo | undefined) {
  const r = resolveAgent(out.state.agents, sightingOf(info), o.defaultAgentName);
  out.state = { status: 'live', agents: r.agents };
  if (r.isNew) out.events.push({ type: 'agentJoined', sessionId: o.sessionId, agent: agentInfo(r.agent) });
  return agentInfo(r.agent);
}

/** The desk ended the chat: nobody took it while queued, or the agent (or an idle timer) closed it. */
function end(out: MappedPayload, o: MapOptions, message?: string): void {
  const reason = out.state.status === 'queued' ? 'queue_timeout' : 'agent_ended';
  out.events.push({ type: 'ended', sessionId: o.sessionId, reason, ...(message ? { message } : {}) });
  out.state = { ...out.state, status: 'ended' };
}

function namesAnAgent(item: WireBodyItem): boolean {
  if (item.uiType === 'ActionMsg' && item.actionType === 'System') {
    const text = item.message ?? item.value;
    return typeof text === 'string' && classifySystem(text).kind === 'entered';
  }
  return item.uiType !== 'ActionMsg' && fromAgent(item.agentInfo);
}

/** Links to files on the instance (they need our credentials, so we fetch them for the user). */
export function isAttachmentUrl(url: string, instanceOrigin: string): boolean {
  if (!url.toLowerCase().startsWith(`${instanceOrigin.toLowerCase()}/`)) return false;
  return /^\/(sys_attachment\.do|api\/now\/(v\d+\/)?attachment\/|api\/now\/v1\/cccif\/media\/)/i.test(url.slice(instanceOrigin.length));
}

function bodyItems(body: OutboundPayload['body']): WireBodyItem[] {
  const list = Array.isArray(body) ? body : body && typeof body === 'object' ? [body] : [];
  return list.filter((b): b is WireBodyItem => !!b && typeof b === 'object');
}

function truthy(v: unknown): boolean {
  return v === true || v === 'true';
}
