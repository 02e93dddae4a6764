/**
 * What a desk folder exports about itself: one `DeskDescriptor`. The config composes its
 * settings schema and environment variables, the composition root creates it and mounts its
 * routes, and the metrics label its requests, all from here. Adding a live-agent system is a new
 * folder with a descriptor plus one line in `registry.ts` (docs/add-a-desk.md).
 */
import type { ChannelPorts } from '../../bots/core/channel-port';
import type express from 'express';
import type { z } from 'zod';
import type { FileVault, VaultEntry } from '../../bots/core/file-vault';
import type { Clock, Desk, Logger, Store } from '../../bots/core/ports';
import type { EventStreamLimits } from '../../bots/http/event-stream';
import type { OutboundSwitches } from '../../bots/http/outbound-guard';

/** What every desk is given besides its own settings: the bridge's shared parts. */
export interface DeskDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  files: FileVault;
  /** The bridge's public base URL (for webhook and file URLs given to the vendor). */
  baseUrl: () => string;
  /** How far behind a reader of the desk's event stream may fall before it is dropped. */
  eventStreams?: EventStreamLimits;
  /** `bot.files`: agents' files obey the same limits as users' files. Absent: 20 MB, any type. */
  fileLimits?: { maxBytes: number; allowedTypes: string[] };
  /** How long the FileVault keeps files (`bot.files.ttlMinutes`), so grants can outlive them. */
  fileTtlMs?: number;
  /** `server.outboundFetch`: whether a desk's URLs may be http or private addresses. */
  outbound?: OutboundSwitches;
  /** Where a desk that lives in a chat platform posts and listens (agents in a Slack or Teams channel). */
  channels?: ChannelPorts;
}

/** An HTTP door a desk opens: mounted at `prefix`, its requests counted under `metricsLabel`. */
export interface DeskRoute {
  /** Where the router is mounted, e.g. `/console`; two desks may not share one. */
  prefix: string;
  /** The `api` label of its requests in /metrics (the system's name: labels stay few). */
  metricsLabel: string;
  /** Paths under `prefix` that count under the label; default the whole prefix. */
  metricsPrefix?: string;
  router: express.RequestHandler;
}

/** One created desk as the composition root sees it. */
export interface DeskModule {
  desk: Desk;
  /** HTTP routes to mount (console pages, webhooks), before the app listens. */
  routes?: DeskRoute[];
  /**
   * Mount anything else on the app. Kept for desks tests inject (`BridgeOptions.desk`);
   * registered desks declare `routes` instead, so prefixes and metrics labels are known.
   */
  mount?(app: express.Express): void;
  /** Lines for the start-up banner (where agents go, generated credentials). */
  banner(baseUrl: string): string[];
  /**
   * Extra check on fetches of `/files/<id>/<name>` (e.g. the Authorization header the desk told
   * its vendor to send). Absent: the unguessable URL alone grants access.
   */
  authorizeFileFetch?(req: express.Request, entry: Omit<VaultEntry, 'data'>): Promise<boolean> | boolean;
}

/**
 * A live-agent system. `S` is its settings schema: the keys under `<name>:` in the config file
 * (the one-desk shortcut) and beside `id` and `system` in a `desks:` entry.
 */
export interface DeskDescriptor<Name extends string = string, S extends z.ZodTypeAny = z.ZodTypeAny> {
  /** The system's name: `desk: <name>`, `DESK=<name>`, `system: <name>`, the section `<name>:`. */
  readonly name: Name;
  readonly settings: S;
  /**
   * The `<name>:` section of the config: `settings.default({})` when the desk runs without any
   * settings, `settings.optional()` when it needs some (then `desk: <name>` without it is an error).
   */
  readonly section: z.ZodDefault<S> | z.ZodOptional<S>;
  /** Environment variables it reads: variable -> path inside its settings. */
  readonly env: Readonly<Record<string, readonly string[]>>;
  /**
   * Variables other software reads too (a cloud's region): they land in the desk's section only
   * when the desk is configured (its section, its own variables, `desk:` or a `desks:` entry), so
   * a host that sets them for other reasons does not conjure an incomplete section.
   */
  readonly sharedEnv?: Readonly<Record<string, readonly string[]>>;
  /** Said when `desk: <name>` has no section although one is required (what to set, where it is documented). */
  readonly missingSettingsHint?: string;
  create(settings: z.output<S>, deps: DeskDeps): DeskModule;
}

/** Keeps the literal name and schema types, so the config's sections are typed per desk. */
export function defineDesk<const Name extends string, S extends z.ZodTypeAny, Sec extends z.ZodDefault<S> | z.ZodOptional<S>>(
  descriptor: DeskDescriptor<Name, S> & { section: Sec },
): DeskDescriptor<Name, S> & { section: Sec } {
  return descriptor;
}
