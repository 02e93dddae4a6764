/**
 * The created desks as the app uses them: one `Desk` for the broker (the desk itself, or the
 * router over several), each stream desk behind its own ChatStreamOwner, and what the app mounts
 * and prints for them (routes with their metrics labels, the file-fetch checks, banners).
 */
import type express from 'express';
import type { CreatedDesk } from '../adapters/desks';
import type { DeskRoutingRule } from './core/desk-routing';
import { ChatStreamOwner } from './core/chat-stream-owner';
import { isStreamDesk } from './core/chat-streams';
import { DeskRouter } from './core/desk-router';
import type { VaultEntry } from './core/file-vault';
import type { Clock, Desk, Logger, Store } from './core/ports';
import type { RouteLabel } from './http/metrics';

export interface DeskCompositionDeps {
  store: Store;
  clock: Clock;
  logger: Logger & { child(bindings: object): Logger };
  rules: readonly DeskRoutingRule[];
  /** How long the router remembers a chat's desk: a conversation's retention. */
  markTtlMs: number;
}

export interface ComposedDesks {
  /** What the broker talks to. */
  desk: Desk;
  /** Owners of the stream desks' connections, stopped with the app after the broker. */
  streamOwners: ChatStreamOwner[];
  routeLabels: RouteLabel[];
  /** Mount every desk's routes (and a test desk's own `mount`). */
  mount(app: express.Express): void;
  /** A fetch of a vault file passes every desk's check; undefined when no desk has one. */
  authorizeFileFetch?: (req: express.Request, entry: Omit<VaultEntry, 'data'>) => Promise<boolean>;
  banner(baseUrl: string): string[];
}

export function composeDesks(created: CreatedDesk[], deps: DeskCompositionDeps): ComposedDesks {
  // A desk with a connection per chat (docs/stream-desks.md) gets those connections owned across
  // processes: the router talks to the owner, which passes every call on to the desk. Each stream
  // desk gets its own owner, before the router composes them.
  const streamOwners: ChatStreamOwner[] = [];
  const routed = created.map(({ id, module }) => {
    if (!isStreamDesk(module.desk)) return { id, desk: module.desk };
    const owner = new ChatStreamOwner(module.desk, {
      store: deps.store,
      clock: deps.clock,
      logger: deps.logger.child({ component: 'chat-streams', desk: module.desk.name }),
    });
    streamOwners.push(owner);
    return { id, desk: owner as Desk };
  });
  // One desk is used as it is: no routing marks, no availability calls of its own.
  const desk: Desk =
    routed.length === 1
      ? routed[0].desk
      : new DeskRouter({
          desks: routed,
          rules: deps.rules,
          store: deps.store,
          logger: deps.logger.child({ component: 'desk-router' }),
          markTtlMs: deps.markTtlMs,
        });
  const modules = created.map((c) => c.module);
  const fileChecks = modules.flatMap((m) => (m.authorizeFileFetch ? [m.authorizeFileFetch.bind(m)] : []));
  return {
    desk,
    streamOwners,
    routeLabels: modules.flatMap((m) => (m.routes ?? []).map((r) => ({ prefix: r.metricsPrefix ?? r.prefix, label: r.metricsLabel }))),
    mount(app) {
      for (const module of modules) {
        for (const route of module.routes ?? []) app.use(route.prefix, route.router);
        module.mount?.(app);
      }
    },
    authorizeFileFetch:
      fileChecks.length === 0
        ? undefined
        : async (req, entry) => {
            for (const check of fileChecks) if (!(await check(req, entry))) return false;
            return true;
          },
    banner: (url) =>
      created.length === 1
        ? created[0].module.banner(url)
        : created.flatMap(({ id, system, module }) => [`  Desk "${id}" (${system}):`, ...module.banner(url)]),
  };
}
