/**
 * Agent pictures a desk reports at run time (a vendor's agent avatar field, ...). Users' clients
 * show only https images: Teams loads card images only over https, the web chat's
 * Content-Security-Policy allows only https images, and Slack fetches only public https URLs.
 * So an avatar that is not an absolute https:// URL is taken off the agent before the core sees
 * it (the user then gets the agent's name without a picture), and the log says so once per
 * host, where an admin can act on it, instead of the picture going missing without a word.
 * Configured avatars (`console.agents[].avatarUrl`) are checked at config load instead.
 */
import type { AgentInfo, DeskEvent, Logger } from '../../bots/core/ports';

/** Hosts warned about; beyond this the screen keeps dropping but stops logging. */
const MAX_WARNED = 100;

export class AvatarScreen {
  private readonly warned = new Set<string>();

  constructor(
    private readonly logger: Logger,
    private readonly desk: string,
  ) {}

  /** The event, without any agent avatar users could not see. */
  screen(event: DeskEvent): DeskEvent {
    if (!('agent' in event) || !event.agent?.avatarUrl) return event;
    const agent = this.agent(event.agent);
    return agent === event.agent ? event : ({ ...event, agent } as DeskEvent);
  }

  /** The agent, without an avatar users could not see. */
  agent(agent: AgentInfo): AgentInfo {
    const url = agent.avatarUrl;
    if (url === undefined || isHttpsUrl(url)) return agent;
    this.warnOnce(url);
    const { avatarUrl: _dropped, ...rest } = agent;
    return rest;
  }

  private warnOnce(url: string): void {
    const origin = originOf(url);
    // Relative or unreadable values are one case, however many agents have one.
    const key = origin ?? 'not an absolute URL';
    if (this.warned.has(key) || this.warned.size >= MAX_WARNED) return;
    this.warned.add(key);
    const what = origin ? `agent pictures from ${origin}` : `agent pictures that are not absolute URLs (such as "${url.slice(0, 80)}")`;
    this.logger.warn(
      { desk: this.desk, avatarOrigin: key, avatarUrl: url.slice(0, 200) },
      `${this.desk}: ${what} are not shown: users' clients show only https:// images (Teams, the web chat, Slack). ` +
        'Serve agent photos over https, or set bot.attribution.showAvatars to false. Logged once per host.',
    );
  }
}

export function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

/** `http://host:port`; undefined for a value that is no absolute URL. */
function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return undefined;
  }
}
