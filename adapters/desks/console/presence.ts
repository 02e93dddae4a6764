/**
 * Which agents are online in every process, for the `availability` offer policy: one Store value
 * (`console:presence`) maps each process with agents connected to their ids and a deadline.
 * A process rewrites its entry when its set of agents changes and every `PRESENCE_RENEW_MS`
 * while it has any (compare-and-set, so processes writing at once all land); entries past their
 * deadline are not counted and are dropped by the next write. So an agent whose process died
 * stops counting within `PRESENCE_TTL_MS` (15 s), and one whose stream closed cleanly at once.
 *
 * Counting reads one value (no key scan); this process's own agents come from its open streams,
 * not from the store, so one process alone (the memory store) counts exactly as before.
 * Deadlines are process clock times: processes' clocks are assumed to agree within seconds.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, Logger, Store, TimerHandle } from '../../../bots/core/ports';
import { updateVersioned } from '../../../bots/core/versioned';

export const PRESENCE_KEY = 'console:presence';
export const PRESENCE_RENEW_MS = 5_000;
export const PRESENCE_TTL_MS = 15_000;

interface ProcessEntry {
  agents: string[];
  until: number;
}
type PresenceTable = Record<string, ProcessEntry>;

export class AgentPresence {
  readonly processId = `console-${randomUUID()}`;
  private renewal?: TimerHandle;
  /** The write in progress, and whether another is due after it (the set changed meanwhile). */
  private writing?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Distinct ids of the agents with a stream open in this process. */
    private readonly localAgents: () => string[],
  ) {}

  /** This process's agents changed (a stream opened or closed): publish the new set. */
  changed(): void {
    if (this.stopped) return;
    if (this.writing) {
      this.again = true;
      return;
    }
    this.writing = this.write().finally(() => {
      this.writing = undefined;
      if (this.again) {
        this.again = false;
        this.changed();
      }
    });
  }

  /** Distinct agents online in any process. Falls back to this process's own when the store fails. */
  async count(): Promise<number> {
    const online = new Set(this.localAgents());
    try {
      const table = (await this.store.get<PresenceTable>(PRESENCE_KEY)) ?? {};
      const now = this.clock.now();
      for (const [processId, entry] of Object.entries(table)) {
        if (processId !== this.processId && entry.until > now) for (const id of entry.agents) online.add(id);
      }
    } catch (e) {
      this.logger.warn({ err: e }, "console: could not read other processes' agents; counting this process only");
    }
    return online.size;
  }

  /** Take this process's entry out (shutdown), so its agents stop counting at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.renewal?.cancel();
    this.renewal = undefined;
    await this.writing;
    await this.writeEntry([]).catch(() => undefined);
  }

  private async write(): Promise<void> {
    const agents = this.localAgents();
    this.renewal?.cancel();
    this.renewal = undefined;
    try {
      await this.writeEntry(agents);
    } catch (e) {
      this.logger.warn({ err: e }, 'console: could not publish which agents are online here');
    }
    // Renewed while anyone is connected, written or not (a failed write is tried again then).
    if (agents.length > 0 && !this.stopped) this.renewal = this.clock.setTimer(PRESENCE_RENEW_MS, () => this.changed());
  }

  private async writeEntry(agents: string[]): Promise<void> {
    const now = this.clock.now();
    await updateVersioned<PresenceTable>(
      this.store,
      PRESENCE_KEY,
      (current) => {
        const table: PresenceTable = {};
        for (const [processId, entry] of Object.entries(current ?? {})) {
          if (processId !== this.processId && entry.until > now) table[processId] = entry;
        }
        if (agents.length > 0) table[this.processId] = { agents, until: now + PRESENCE_TTL_MS };
        else if (!current?.[this.processId] && Object.keys(table).length === Object.keys(current ?? {}).length) return undefined;
        return table;
      },
      // The value goes with the last process renewing it.
      PRESENCE_TTL_MS,
    );
  }
}
