/**
 * Who an agent is, across the different ways ServiceNow names them. Pure.
 *
 * ServiceNow identifies the agent on message items (`agentInfo.agentId`, the live_profile
 * sys_id), but an agent's arrival is announced by `SwitchToLiveAgent` and a `System` line
 * ("Beth Anglin has entered the chat.") that usually carry no id. So the first id we report for
 * an agent (the sys_id, or one made from their name) is kept for them from then on, and later
 * sightings are matched to it by sys_id, then by name. The core sees one stable id per agent,
 * so a join is announced once and each message is attributed to the agent who wrote it.
 */
import type { AgentInfo } from '../../../bots/core/ports';
import type { WireAgentInfo } from './wire-types';

export interface KnownAgent {
  /** The id reported to the core; never changes. */
  id: string;
  name: string;
  avatarUrl?: string;
  /** ServiceNow sys_ids seen for this agent. */
  snIds: string[];
  /** Joined without a name (a bare SwitchToLiveAgent); the next unknown agent is bound to it. */
  provisional?: boolean;
  /** Still in the chat (left agents are kept so a return is recognised). */
  present: boolean;
}

export interface AgentSighting {
  id?: string;
  name?: string;
  avatarUrl?: string;
}

/** Read `agentInfo`; undefined when it carries nothing usable. */
export function sightingOf(info: WireAgentInfo | undefined): AgentSighting | undefined {
  if (!info || typeof info !== 'object') return undefined;
  const id = nonEmpty(info.agentId);
  const name = nonEmpty(info.agentName);
  const avatarUrl = nonEmpty(info.agentAvatar);
  if (!id && !name) return undefined;
  // Kept as given: the connector's AvatarScreen drops (and logs) what users could not see.
  return { id, name, avatarUrl };
}

/** Whether `agentInfo` says the item came from a live agent (not the virtual agent). */
export function fromAgent(info: WireAgentInfo | undefined): boolean {
  if (!info || typeof info !== 'object') return false;
  const flag = info.sentFromAgent;
  // Absent flag with a name or id: still an agent (the flag was added in later releases).
  if (flag === undefined) return sightingOf(info) !== undefined;
  return flag === true || flag === 'true';
}

/**
 * Find or add the agent behind `seen`. Returns the updated list (never mutated in place), the
 * agent, and whether it is new to this chat.
 */
export function resolveAgent(
  agents: readonly KnownAgent[],
  seen: AgentSighting | undefined,
  defaultName: string,
): { agents: KnownAgent[]; agent: KnownAgent; isNew: boolean } {
  const list = agents.map((a) => ({ ...a, snIds: [...a.snIds] }));
  const seenId = seen?.id;
  const seenName = seen?.name;
  const byId = seenId ? list.find((a) => a.snIds.includes(seenId) || a.id === seenId) : undefined;
  const byName = !byId && seenName ? list.find((a) => !a.provisional && sameName(a.name, seenName)) : undefined;
  const unbound = !byId && !byName && seen ? list.find((a) => a.provisional && a.present) : undefined;
  const found = byId ?? byName ?? unbound;
  if (found) {
    if (seen?.id && !found.snIds.includes(seen.id)) found.snIds.push(seen.id);
    if (seen?.name && found.provisional) {
      found.name = seen.name;
      found.provisional = false;
    }
    if (seen?.avatarUrl) found.avatarUrl = seen.avatarUrl;
    const rejoined = !found.present;
    found.present = true;
    return { agents: list, agent: found, isNew: rejoined };
  }
  const agent: KnownAgent = {
    id: seen?.id ?? (seen?.name ? `name:${slug(seen.name)}` : `agent:${list.length + 1}`),
    name: seen?.name ?? defaultName,
    ...(seen?.avatarUrl ? { avatarUrl: seen.avatarUrl } : {}),
    snIds: seen?.id ? [seen.id] : [],
    ...(seen ? {} : { provisional: true }),
    present: true,
  };
  list.push(agent);
  return { agents: list, agent, isNew: true };
}

/** Mark the agent named `name` as gone; undefined when nobody by that name is present. */
export function agentLeaves(agents: readonly KnownAgent[], name: string): { agents: KnownAgent[]; agent: KnownAgent } | undefined {
  const target = agents.find((a) => a.present && sameName(a.name, name));
  if (!target) return undefined;
  return { agents: agents.map((a) => (a === target ? { ...a, present: false } : a)), agent: target };
}

/** The public part the core gets. */
export function agentInfo(agent: KnownAgent): AgentInfo {
  return { id: agent.id, name: agent.name, ...(agent.avatarUrl ? { avatarUrl: agent.avatarUrl } : {}) };
}

function sameName(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

function slug(name: string): string {
  return (
    name
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, '-')
      .replace(/^-|-$/g, '') || 'agent'
  );
}

function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}
