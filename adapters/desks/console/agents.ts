/**
 * The console's agents: who they are and how a bearer token maps to one. Tokens are compared in
 * constant time over their SHA-256 digests, so neither timing nor length gives them away.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AgentInfo } from '../../../bots/core/ports';
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import type { ConsoleAgentSettings } from './config';

export interface GeneratedAgent {
  id: string;
  name: string;
  /** Print it once at start-up with the console URL; it is the agent's password. */
  token: string;
}

interface Entry {
  info: AgentInfo;
  digest: Buffer;
}

export class AgentDirectory {
  private readonly entries: Entry[];
  /** Set when no agents were configured and one was made up. */
  readonly generated?: GeneratedAgent;

  constructor(configured: ConsoleAgentSettings[]) {
    let list = configured;
    if (list.length === 0) {
      // 24 random bytes are exactly 32 base64url characters.
      this.generated = { id: 'agent', name: 'Agent', token: randomBytes(24).toString('base64url') };
      list = [this.generated];
    }
    this.entries = list.map((a) => ({
      info: { id: a.id ?? slug(a.name), name: a.name, ...(a.avatarUrl ? { avatarUrl: a.avatarUrl } : {}) },
      digest: digest(a.token),
    }));
    assertUnique(
      this.entries.map((e) => e.info.id),
      'agent id',
    );
    assertUnique(
      this.entries.map((e) => e.digest.toString('hex')),
      'agent token',
    );
  }

  /** The agent this token belongs to. Checks every agent so the time taken says nothing. */
  byToken(token: string): AgentInfo | undefined {
    const candidate = digest(token);
    let found: AgentInfo | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(candidate, e.digest)) found = e.info;
    }
    return found;
  }

  all(): AgentInfo[] {
    return this.entries.map((e) => e.info);
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** "Beth O'Neil" -> "beth-o-neil": a stable id when config gives none. */
export function slug(name: string): string {
  const s = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return s || 'agent';
}

function assertUnique(values: string[], what: string): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) {
      // Never echo a token: name the problem, not the value.
      const shown = what === 'agent token' ? '' : ` "${v}"`;
      throw new BridgeError(ErrorCode.ConfigInvalid, `console: duplicate ${what}${shown}; each agent needs its own`);
    }
    seen.add(v);
  }
}
