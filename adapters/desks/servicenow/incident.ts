/**
 * "File ticket on handoff": an incident created through the Table API before the chat is
 * queued, so the agent opens the chat with a record to work in. Short description = prefix +
 * the chat's title; description = the user's issue; work notes = what the bot knew (topic,
 * routing, recent conversation), which only agents see.
 *
 * A create is retried only when ServiceNow says it did not process it (429/503): a retried
 * timeout could file the same ticket twice.
 */
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import { historyLine } from '../../../bots/core/history';
import type { OpenChatRequest } from '../../../bots/core/ports';
import type { RestAuth } from './auth';
import type { ServiceNowSettings } from './config';
import type { ServiceNowHttp } from './http';
import type { TableResult } from './wire-types';

export interface Incident {
  number: string;
  sysId?: string;
}

export async function createIncident(
  request: OpenChatRequest,
  settings: ServiceNowSettings['incident'],
  instanceUrl: string,
  http: ServiceNowHttp,
  auth: RestAuth,
): Promise<Incident> {
  const record = {
    ...settings.fields,
    short_description: `${settings.shortDescriptionPrefix}${request.title}`.slice(0, 160),
    description: request.details,
    work_notes: workNotes(request),
  };
  const answer = await http.json<TableResult<{ number?: unknown; sys_id?: unknown }>>({
    op: `create ${settings.table}`,
    method: 'POST',
    url: `${instanceUrl}/api/now/table/${settings.table}?sysparm_fields=number,sys_id&sysparm_exclude_reference_link=true`,
    headers: async () => ({ ...(await auth.headers()), 'Content-Type': 'application/json', Accept: 'application/json' }),
    body: JSON.stringify(record),
    retry: 'unprocessed',
    onUnauthorized: () => auth.invalidate(),
  });
  const number = answer?.result?.number;
  if (typeof number !== 'string' || !number) {
    throw new BridgeError(ErrorCode.DeskRejected, `ServiceNow created no ${settings.table} number`, { details: { table: settings.table } });
  }
  const sysId = answer?.result?.sys_id;
  return { number, ...(typeof sysId === 'string' ? { sysId } : {}) };
}

/** The bot's context, for agents only. Pure. */
export function workNotes(request: OpenChatRequest): string {
  const lines = [
    `Live agent chat requested through the bot (${request.surface}).`,
    `User: ${request.user.name}${request.user.email ? ` <${request.user.email}>` : ''}`,
  ];
  if (request.topic) lines.push(`Topic: ${request.topic.label}`);
  const routing = Object.entries(request.routing).map(([k, v]) => `${k}=${v}`);
  if (routing.length > 0) lines.push(`Routing: ${routing.join(', ')}`);
  // The same extract the agent gets in the chat (capped by `bot.history.maxTextBytes`).
  const history = request.historyText ?? request.history.map(historyLine).join('\n');
  if (history) lines.push('', 'Recent conversation with the bot:', history);
  return lines.join('\n');
}
