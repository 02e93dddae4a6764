/**
 * The ServiceNow desk wired the way the app wires it (webhook and files routes on a real express
 * app, on an ephemeral port), talking over HTTP to a ServiceNow simulator whose outbound URL is
 * that app. For contract and integration tests that need the desk without the whole bridge.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { FileVault } from '../../bots/core/file-vault';
import type { Clock, DeskEvent, DeskEventSink } from '../../bots/core/ports';
import { mountFiles } from '../../bots/http/files';
import type { DeskModule } from '../../adapters/desks';
import { servicenowDeskSchema, type ServiceNowSettings, type ServiceNowSettingsInput } from '../../adapters/desks/servicenow/config';
import type { ServiceNowDesk } from '../../adapters/desks/servicenow/connector';
import { createServiceNowModule } from '../../adapters/desks/servicenow/module';
import { DEFAULT_SIM_AUTH, ServiceNowSimulator, type OutboundAuth, type SimulatorOptions } from '../simulators/servicenow/simulator';
import { RecordingLogger, testClock } from './console-harness';
import { RecordingStore } from './recording-store';

export const WEBHOOK_SECRET = 'webhook-secret-0123456789abcdef';

/** The desk settings tests start from: Basic auth, a `token` header on the webhook, quick retries. */
export function servicenowSettings(instanceUrl: string, overrides: Partial<ServiceNowSettingsInput> = {}): ServiceNowSettingsInput {
  return {
    instanceUrl,
    auth: { mode: 'basic', username: DEFAULT_SIM_AUTH.basic!.username, password: DEFAULT_SIM_AUTH.basic!.password },
    webhook: { auth: { mode: 'header', header: 'token', secret: WEBHOOK_SECRET } },
    requestTimeoutMs: 2000,
    retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 500 },
    availability: { cacheSeconds: 0 },
    ...overrides,
  };
}

export const DEFAULT_OUTBOUND_AUTH: OutboundAuth = { mode: 'header', headers: { token: WEBHOOK_SECRET } };

export interface ServiceNowHarnessOptions {
  /** Settings for the desk; `instanceUrl` is filled in. */
  settings?: (simUrl: string) => ServiceNowSettingsInput;
  sim?: SimulatorOptions;
  /** How the simulator authenticates to our webhook; default the `token` header. */
  outboundAuth?: (botUrl: string) => OutboundAuth;
  clock?: Clock;
  fetch?: typeof fetch;
  /** `server.outboundFetch` for agent files; default: the simulator's http://127.0.0.1 allowed. */
  outbound?: { allowPrivateNetworks: boolean; allowHttp: boolean };
  /** Start the desk with a recording sink (default); the Desk suite starts it itself. */
  start?: boolean;
  sink?: DeskEventSink;
}

export interface ServiceNowHarness {
  sim: ServiceNowSimulator;
  desk: ServiceNowDesk;
  module: DeskModule;
  settings: ServiceNowSettings;
  store: RecordingStore;
  vault: FileVault;
  logger: RecordingLogger;
  /** The bot-side app: `http://127.0.0.1:<port>`. */
  botUrl: string;
  webhookUrl: string;
  events: DeskEvent[];
  close(): Promise<void>;
}

export async function startServiceNowHarness(options: ServiceNowHarnessOptions = {}): Promise<ServiceNowHarness> {
  const clock = options.clock ?? testClock;
  const sim = await ServiceNowSimulator.start(options.sim);
  const settings = servicenowDeskSchema.parse((options.settings ?? ((u: string) => servicenowSettings(u)))(sim.url));
  const store = new RecordingStore(() => clock.now());
  const logger = new RecordingLogger();
  let botUrl = '';
  const vault = new FileVault(store, { ttlMs: 60 * 60 * 1000, baseUrl: () => botUrl, now: () => clock.now() });
  const module = createServiceNowModule(
    settings,
    { store, clock, logger, files: vault, baseUrl: () => botUrl },
    {
      fetch: options.fetch,
      fileTtlMs: 60 * 60 * 1000,
      // The simulator is on http://127.0.0.1: allowed explicitly, as tests configure it.
      outbound: options.outbound ?? { allowPrivateNetworks: true, allowHttp: true },
    },
  );
  const desk = module.desk as ServiceNowDesk;

  const app = express();
  mountFiles(app, { vault, authorize: module.authorizeFileFetch?.bind(module) });
  module.mount(app);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  botUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const webhookUrl = `${botUrl}${settings.webhook.path}`;
  sim.setOutbound(webhookUrl, options.outboundAuth?.(botUrl) ?? DEFAULT_OUTBOUND_AUTH);

  const events: DeskEvent[] = [];
  if (options.start !== false) {
    await desk.start(
      options.sink ??
        (async (e) => {
          events.push(e);
        }),
    );
  }

  return {
    sim,
    desk,
    module,
    settings,
    store,
    vault,
    logger,
    botUrl,
    webhookUrl,
    events,
    async close() {
      await sim.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
