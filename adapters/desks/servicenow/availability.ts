/**
 * Are agents available for chat? The `awa_agent_presence_capacity` database view through the
 * Table API: agents whose chat channel is available, whose presence is "Available", and (by
 * default) who have free capacity (`ac_workload < ac_applied_max_capacity`).
 *
 * The query filters on the instance, and the rows are checked again here: ServiceNow ignores an
 * invalid condition (a field renamed on some release) instead of failing, which would otherwise
 * count every agent as available. Answers are cached briefly and concurrent checks share one
 * request, so a burst of users asks the instance once. A failure is logged and thrown; the
 * broker then applies `bot.offer.availabilityOnError`.
 */
import { asBridgeError } from '../../../bots/core/errors';
import type { Availability, Clock, Logger } from '../../../bots/core/ports';
import type { ServiceNowSettings } from './config';
import type { RestAuth } from './auth';
import type { ServiceNowHttp } from './http';
import type { PresenceCapacityRow, TableResult, TableValue } from './wire-types';

const FIELDS = ['ap_agent', 'ap_current_presence_state', 'ac_channel', 'aca_available', 'ac_workload', 'ac_applied_max_capacity'];

export class AvailabilityCheck {
  private cached?: { at: number; answer: Promise<Availability> };

  constructor(
    private readonly settings: ServiceNowSettings['availability'],
    private readonly instanceUrl: string,
    private readonly http: ServiceNowHttp,
    private readonly auth: RestAuth,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async check(): Promise<Availability> {
    if (!this.settings.enabled) return { available: true };
    const now = this.clock.now();
    const cached = this.cached;
    if (cached && now - cached.at < this.settings.cacheSeconds * 1000) return cached.answer;
    const entry = { at: now, answer: this.query() };
    this.cached = entry;
    try {
      return await entry.answer;
    } catch (e) {
      // Not cached: the next offer asks again rather than repeating a stale failure.
      if (this.cached === entry) this.cached = undefined;
      this.logger.warn({ err: asBridgeError(e) }, 'servicenow: availability check failed');
      throw e;
    }
  }

  private async query(): Promise<Availability> {
    const s = this.settings;
    const params = new URLSearchParams({
      sysparm_query: `aca_available=true^ac_channel=${s.channelSysId}^ap_current_presence_state=${s.availableStateSysId}`,
      sysparm_fields: FIELDS.join(','),
      sysparm_exclude_reference_link: 'true',
      sysparm_limit: '1000',
    });
    const answer = await this.http.json<TableResult<PresenceCapacityRow[]>>({
      op: 'availability (awa_agent_presence_capacity)',
      method: 'GET',
      url: `${this.instanceUrl}/api/now/table/awa_agent_presence_capacity?${params}`,
      headers: async () => ({ ...(await this.auth.headers()), Accept: 'application/json' }),
      retry: 'safe',
      onUnauthorized: () => this.auth.invalidate(),
    });
    const agents = countAvailable(answer?.result ?? [], s);
    return { available: agents > 0, agentsOnline: agents };
  }
}

/** Distinct agents in `rows` that can take a chat now. Pure. */
export function countAvailable(
  rows: PresenceCapacityRow[],
  s: Pick<ServiceNowSettings['availability'], 'channelSysId' | 'availableStateSysId' | 'requireFreeCapacity'>,
): number {
  const agents = new Set<string>();
  for (const row of rows) {
    if (!truthy(tableText(row.aca_available))) continue;
    const channel = tableText(row.ac_channel);
    const state = tableText(row.ap_current_presence_state);
    if (channel !== undefined && channel !== s.channelSysId) continue;
    if (state !== undefined && state !== s.availableStateSysId) continue;
    if (s.requireFreeCapacity) {
      const workload = Number(tableText(row.ac_workload));
      const max = Number(tableText(row.ac_applied_max_capacity));
      // Unknown numbers: trust the instance's own filter rather than hiding the button.
      if (Number.isFinite(workload) && Number.isFinite(max) && workload >= max) continue;
    }
    agents.add(tableText(row.ap_agent) ?? `row-${agents.size}`);
  }
  return agents.size;
}

/** A Table API value as a string: plain, `{value, link}` or `{value, display_value}`. */
function tableText(v: TableValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') return v.value === undefined || v.value === null ? undefined : String(v.value);
  return String(v);
}

function truthy(v: string | undefined): boolean {
  return v === 'true' || v === '1';
}
