/**
 * Builds the configured desk and what it needs mounted on the app (console pages, webhooks).
 * Adding a live-agent system = one folder under adapters/desks/ plus one case here.
 */
import type express from 'express';
import type { BridgeConfig } from '../../config/schema';
import type { FileVault, VaultEntry } from '../../bots/core/file-vault';
import type { Clock, Desk, Logger, Store } from '../../bots/core/ports';
import type { EventStreamLimits } from '../../bots/http/event-stream';
import { ConsoleDesk } from './console/desk';
import { createConsoleRouter } from './console/routes';
import { createServiceNowModule } from './servicenow/module';

export interface DeskDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  files: FileVault;
  /** The bridge's public base URL (for webhook and file URLs given to the vendor). */
  baseUrl: () => string;
  /** How far behind a reader of the console's event stream may fall before it is dropped. */
  eventStreams?: EventStreamLimits;
}

export interface DeskModule {
  desk: Desk;
  /** Mount the desk's HTTP routes (console, webhooks). Called once, before the app listens. */
  mount(app: express.Express): void;
  /** Lines for the start-up banner (where agents go, generated credentials). */
  banner(baseUrl: string): string[];
  /**
   * Extra check on fetches of `/files/<id>/<name>` (e.g. the Authorization header the desk told
   * its vendor to send). Absent: the unguessable URL alone grants access.
   */
  authorizeFileFetch?(req: express.Request, entry: Omit<VaultEntry, 'data'>): Promise<boolean> | boolean;
}

export function createDesk(config: BridgeConfig, deps: DeskDeps): DeskModule {
  switch (config.desk) {
    case 'console': {
      const desk = new ConsoleDesk({
        store: deps.store,
        clock: deps.clock,
        logger: deps.logger,
        settings: config.console,
        // Agents' files go through the same vault and limits as users' files.
        files: deps.files,
        fileLimits: { maxBytes: config.bot.files.maxBytes, allowedTypes: config.bot.files.allowedTypes },
        coalesceEvents: true,
      });
      return {
        desk,
        mount: (app) => app.use('/console', createConsoleRouter(desk, { store: deps.store, eventStreams: deps.eventStreams })),
        banner: (baseUrl) => [
          `  Agent console:          ${baseUrl}/console`,
          ...(desk.generatedAgent
            ? [
                `  Console agent "${desk.generatedAgent.name}", token: ${desk.generatedAgent.token}`,
                '  (configure console.agents to set your own)',
              ]
            : []),
        ],
      };
    }
    case 'servicenow':
      return createServiceNowModule(config.servicenow, deps, {
        fileTtlMs: config.bot.files.ttlMinutes * 60 * 1000,
        outbound: config.server.outboundFetch,
      });
  }
}
