/**
 * The composition root: config -> store -> desk -> surfaces -> broker -> one express app.
 * Everything is built here and nowhere else, so tests can build the same app with their own
 * clock, logger or config.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { type CreatedDesk, createDesks, type DeskDeps, type DeskModule } from '../adapters/desks';
import { createStore } from '../adapters/store';
import { cardLabels, slackCardLabels } from '../cards/config';
import type { BridgeConfig } from '../config/schema';
import { Broker } from './core/broker';
import type { ChannelPorts } from './core/channel-port';
import { BroadcastService } from './core/broadcasts';
import { systemClock } from './core/clock';
import { knownUsers, retentionMs } from './core/conversations';
import { FileVault } from './core/file-vault';
import type { Clock, Desk, Store, Surface, SurfaceKind } from './core/ports';
import { createBroadcastRouter } from './http/broadcasts';
import type { EventStreamLimits } from './http/event-stream';
import { mountFiles } from './http/files';
import { MetricsRegistry, mountMetrics } from './http/metrics';
import { mountHealth } from './http/health';
import { mountLanding } from './http/landing';
import { refuseWritesWhileStoreDown } from './http/store-gate';
import { StoreHealth } from './http/store-health';
import { mountAssets } from './http/pages';
import { createLogger, type AppLogger } from './logger';
import { createTeamsAdapter } from './teams/adapter';
import { mountTeams } from './teams/routes';
import { TeamsChannelPort } from './teams/channel-port';
import { teamsEnabled } from './teams/enabled';
import { TeamsSurface } from './teams/surface';
import { createSlack } from './slack/app';
import { createWebChat } from './web';
import { composeDesks } from './desks';

export interface BridgeOptions {
  config: BridgeConfig;
  logger?: AppLogger;
  clock?: Clock;
  newId?: () => string;
  /** Build this desk instead of the configured one (tests' desks, e.g. the stream test desk). */
  desk?: (deps: DeskDeps) => DeskModule;
}

export interface Bridge {
  readonly config: BridgeConfig;
  readonly app: express.Express;
  readonly broker: Broker;
  readonly store: Store;
  /** What the broker talks to: the one desk, or the router over several. */
  readonly desk: DeskModule['desk'];
  /** Every desk that runs, by its config id, as created (before any stream owner wraps it). */
  readonly desks: ReadonlyArray<{ id: string; system: string; desk: Desk }>;
  readonly logger: AppLogger;
  readonly files: FileVault;
  readonly broadcasts: BroadcastService;
  /** The surfaces that are on, in the order they were set up. */
  readonly surfaces: SurfaceKind[];
  /** The channel ports of the surfaces that are on (for channel desks). */
  readonly channels: ChannelPorts;
  /** Start-up banner lines of the desks (where agents work, generated credentials). */
  banner(baseUrl: string): string[];
  /** Start the HTTP server; resolves with the URL it listens on. */
  listen(): Promise<{ url: string; port: number }>;
  /** Stop accepting, finish in-flight work, close streams and the store. Idempotent. */
  stop(): Promise<void>;
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '::1']);

export async function createBridge(options: BridgeOptions): Promise<Bridge> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.server.logLevel);
  const clock = options.clock ?? systemClock;
  const loopback = loopbackHosts.has(config.server.host);
  const teamsOn = teamsEnabled({ appId: config.teams.MicrosoftAppId, host: config.server.host, loopback, logger });

  const store = await createStore(config.store, logger);
  // Doors refuse (503) while the store is down rather than acknowledge what it cannot record.
  const storeHealth = new StoreHealth(store, { logger });

  // The Teams glue tags its own log lines with surface: 'teams'.
  const teamsLogger = logger;
  const render = {
    labels: cardLabels(config.cards),
    slackLabels: slackCardLabels(config.cards),
    showAvatars: config.bot.attribution.showAvatars,
  };
  const teamsAdapter = teamsOn ? createTeamsAdapter(config.teams, teamsLogger) : undefined;
  const surfaces: Partial<Record<SurfaceKind, Surface>> = {};
  if (teamsAdapter) {
    surfaces.teams = new TeamsSurface({
      adapter: teamsAdapter,
      appId: config.teams.MicrosoftAppId,
      logger: teamsLogger,
      render,
      fileFetch: { ...config.server.outboundFetch, hosts: config.teams.fileHosts },
    });
  }
  const teamsChannels = teamsAdapter
    ? new TeamsChannelPort({
        adapter: teamsAdapter,
        appId: config.teams.MicrosoftAppId,
        tenantId: config.teams.MicrosoftAppTenantId || undefined,
        logger: teamsLogger,
        store,
      })
    : undefined;

  // Event streams whose reader falls too far behind are dropped, and counted.
  const metrics = new MetricsRegistry();
  const dropped = metrics.counter(
    'lab_event_stream_dropped_total',
    'Event streams dropped because their reader fell too far behind, by stream.',
  );
  const eventStreams = (stream: string): EventStreamLimits => ({
    maxBufferedBytes: config.server.eventStreamMaxBufferedBytes,
    onDrop: dropped.series({ stream }),
  });

  // The URL desks and users fetch relayed files from: the configured public URL, else where we listen.
  let listeningUrl = `http://${config.server.host}:${config.server.port}`;
  const baseUrl = () => config.server.publicUrl?.replace(/\/$/, '') ?? listeningUrl;
  const files = new FileVault(store, { ttlMs: config.bot.files.ttlMinutes * 60 * 1000, baseUrl, now: () => clock.now() });
  // The web chat keeps uploads in the vault, so it joins the surfaces here, before the broker.
  const webChat = config.web.enabled
    ? createWebChat({
        settings: config.web,
        bot: config.bot,
        store,
        files,
        clock,
        logger: logger.child({ surface: 'web' }),
        render,
        loopback,
        eventStreams: eventStreams('web'),
      })
    : undefined;
  if (webChat) surfaces.web = webChat.surface;
  // Slack is on when a bot token is configured.
  const slack = config.slack.botToken
    ? createSlack({
        settings: config.slack,
        bot: config.bot,
        render,
        logger: logger.child({ surface: 'slack' }),
        outbound: config.server.outboundFetch,
        storeUp: () => storeHealth.up(),
      })
    : undefined;
  if (slack) surfaces.slack = slack.surface;
  // What channel desks (agents in a Slack or Teams channel) post and listen through.
  const channels: ChannelPorts = { ...(slack ? { slack: slack.channels } : {}), ...(teamsChannels ? { teams: teamsChannels } : {}) };
  const deskDeps = (id: string, system: string): DeskDeps => ({
    store,
    clock,
    logger: logger.child({ desk: id }),
    files,
    baseUrl,
    eventStreams: eventStreams(system),
    fileLimits: { maxBytes: config.bot.files.maxBytes, allowedTypes: config.bot.files.allowedTypes },
    fileTtlMs: config.bot.files.ttlMinutes * 60 * 1000,
    outbound: config.server.outboundFetch,
    channels,
  });
  // A test's desk stands in for the configured ones.
  const created: CreatedDesk[] = options.desk
    ? [{ id: config.desk, system: config.desk, module: options.desk(deskDeps(config.desk, config.desk)) }]
    : createDesks(config.desks, (d) => deskDeps(d.id, d.system));
  const desks = composeDesks(created, {
    store,
    clock,
    logger,
    rules: config.routing,
    markTtlMs: retentionMs(config.bot),
  });
  const desk = desks.desk;

  const broker = new Broker({
    store,
    desk,
    surfaces,
    clock,
    logger: logger.child({ component: 'broker' }),
    settings: config.bot,
    files,
    newId: options.newId,
  });

  const broadcasts = new BroadcastService({
    store,
    broker,
    clock,
    logger: logger.child({ component: 'broadcasts' }),
    settings: config.broadcasts,
    knownUsers: () => knownUsers(store),
  });
  // A delivery that a long outage stopped (its lease ran out meanwhile) is resumed when the store
  // is back: at once, and again once a lease it could not release while Redis was down has lapsed.
  let resumeTimer: { cancel(): void } | undefined;
  const resumeBroadcasts = () => {
    if (stopping) return;
    broadcasts.resume().catch((err: unknown) => logger.warn({ err }, 'broadcasts: could not resume after the store came back'));
  };
  storeHealth.onRecovered(() => {
    resumeBroadcasts();
    resumeTimer?.cancel();
    resumeTimer = clock.setTimer(broadcasts.leaseMs + 1000, resumeBroadcasts);
  });
  // With no token configured the API still works, with a random token printed at start-up.
  const broadcastToken = config.broadcasts.token ?? randomBytes(24).toString('base64url');

  let stopping = false;
  const app = express();
  app.disable('x-powered-by');
  // No ETag on `res.send`/`res.json`: API answers are never cached (and say so), and express
  // would hash every JSON body to make one. Static files get theirs from `send` as before.
  app.set('etag', false);
  // First, so every request below is counted and timed.
  mountMetrics(app, {
    registry: metrics,
    token: config.server.metricsToken,
    routeLabels: desks.routeLabels,
  });
  // Before every door: while the store is down, nothing is acknowledged that it cannot record.
  app.use(refuseWritesWhileStoreDown(storeHealth, logger));
  // The busiest endpoints next (platform events, the desk's API): express tries every route
  // above a request's own, so the rest go after them. No two of these paths overlap.
  // Bolt mounts its router at the root, so everything after it walks that router too: the
  // desk (under its own prefix) goes before it.
  if (teamsAdapter)
    mountTeams(app, { adapter: teamsAdapter, handler: broker, logger: teamsLogger, routes: teamsChannels ? [teamsChannels.route()] : [] });
  desks.mount(app);
  slack?.mount(app, broker);
  webChat?.mount(app, broker);
  // A desk may require its own check on file fetches (e.g. the per-chat Authorization header it
  // told its vendor to send); with several desks, a fetch passes every desk's check.
  mountFiles(app, { vault: files, authorize: desks.authorizeFileFetch });
  app.use('/api/broadcasts', createBroadcastRouter({ service: broadcasts, token: broadcastToken, logger }));
  // Readiness pings through the health check, so a 200 there means the doors are open too.
  mountHealth(app, { store: { ping: () => storeHealth.check() }, isStopping: () => stopping });
  mountAssets(app); // what the console and web chat pages share
  mountLanding(app, { chat: webChat !== undefined });

  storeHealth.start();
  await webChat?.start();
  await broker.start();
  await slack?.start();
  await broadcasts.resume();

  let server: Server | undefined;
  let stopped: Promise<void> | undefined;

  return {
    config,
    app,
    broker,
    store,
    desk,
    desks: created.map(({ id, system, module }) => ({ id, system, desk: module.desk })),
    logger,
    files,
    broadcasts,
    surfaces: Object.keys(surfaces) as SurfaceKind[],
    channels,
    banner: (url) => [
      ...desks.banner(url),
      `  Broadcast API:          ${url}/api/broadcasts${config.broadcasts.token ? '' : `  (token: ${broadcastToken})`}`,
    ],
    listen() {
      return new Promise((resolve, reject) => {
        const s = app.listen(config.server.port, config.server.host);
        s.once('error', reject);
        s.once('listening', () => {
          server = s;
          const { port } = s.address() as AddressInfo;
          const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
          listeningUrl = `http://${host}:${port}`;
          resolve({ url: listeningUrl, port });
        });
      });
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        // Stop taking connections first; then let the broker finish what it accepted.
        const listening = server;
        const closed = listening ? new Promise<void>((r) => listening.close(() => r())) : Promise.resolve();
        server?.closeIdleConnections();
        await slack?.stop(); // Socket Mode: no new Slack events
        await broadcasts.stop(); // saves progress and releases the lease: the next process to start resumes
        await broker.stop(); // also stops the desk, which ends its event streams
        // Stopped with the desk already (idempotent): said here so it surely precedes the store's
        // close. Its connections are closed and leases released, so another process takes over.
        for (const owner of desks.streamOwners) await owner.stop();
        webChat?.close(); // open chat event streams would otherwise hold the server open
        server?.closeAllConnections();
        await closed;
        storeHealth.stop();
        resumeTimer?.cancel();
        await store.close();
      })();
      return stopped;
    },
  };
}
