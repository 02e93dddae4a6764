/**
 * The Slack surface assembled: Web API client, identity, user directory, the surface itself, and
 * the Bolt app that receives Slack's requests.
 *
 * Transport:
 * - HTTP (default): Bolt's ExpressReceiver is mounted on the bridge's own express app at
 *   `/slack/events` (events, interactivity and options share it). It reads the raw body to check
 *   the signature, so no body parser may run before it: the bridge only uses route-scoped
 *   parsers. A bad signature, or a timestamp more than 5 minutes old or ahead (request-age.ts),
 *   is answered 401 and nothing runs. Bolt's own server is
 *   never started (`bolt.start()` would open a second port).
 * - Socket Mode (`appToken` set): Bolt opens a WebSocket to Slack on `start()`; nothing is
 *   mounted, so a developer needs no public URL.
 */
import { App, ExpressReceiver, HTTPModuleFunctions as httpFunc, SocketModeReceiver } from '@slack/bolt';
import type express from 'express';
import type { BlockRenderOptions } from '../../cards/blocks';
import { defaultCardLabels } from '../../cards/labels';
import type { ChannelPort } from '../core/channel-port';
import type { UserEventHandler } from '../core/events';
import type { OutboundSwitches } from '../http/outbound-guard';
import type { Logger } from '../core/ports';
import { detailsView } from '../core/session';
import type { CoreSettings } from '../core/settings';
import { refuseDeclaredTooLarge } from '../http/json-body';
import { createSlackClient, slackClientOptions, slackLogger } from './client';
import { isSocketMode, type SlackSettings } from './config';
import { SlackChannelPort } from './channel-port';
import { SlackDirectory } from './directory';
import { SlackIdentity } from './identity';
import { registerListeners } from './listeners';
import { rejectSkewedSlackRequests } from './request-age';
import { SlackSurface } from './surface';
import { answerNotAccepted, notAcceptedIn } from './not-accepted';

/** Where Slack sends events, interactivity and options (HTTP mode). */
export const SLACK_EVENTS_PATH = '/slack/events';

/** Largest request body taken from Slack (Bolt's default is 4 MB; Slack's payloads are far smaller). */
const BODY_LIMIT_BYTES = 1024 * 1024;

/** How long start-up waits for `auth.test` before going on without it (it is asked again later). */
const IDENTITY_WAIT_MS = 5000;

export interface SlackModuleOptions {
  settings: SlackSettings;
  /** The core's settings: details wording, topics, file size limit. */
  bot: Pick<CoreSettings, 'topics' | 'messages' | 'files'>;
  render?: Omit<BlockRenderOptions, 'markdown'>;
  logger: Logger;
  /** Wall clock for trigger ages; tests may pin it. */
  now?: () => number;
  /** `server.outboundFetch`: the switches of the guard every file fetch goes through. */
  outbound?: OutboundSwitches;
  /**
   * False while the store is down: Socket Mode envelopes are then left unacknowledged, so Slack
   * delivers them again (HTTP requests are refused before they reach Bolt, see store-gate.ts).
   */
  storeUp?: () => boolean;
}

export interface SlackModule {
  readonly surface: SlackSurface;
  /** Channel desks post, reply and hear channel messages through this (same app, same client). */
  readonly channels: ChannelPort;
  readonly mode: 'http' | 'socket';
  /** Build the Bolt app and (HTTP mode) mount its receiver on `host`. Call once. */
  mount(host: express.Express, handler: UserEventHandler): void;
  /** Learn the bot's identity; in Socket Mode, connect. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createSlack(options: SlackModuleOptions): SlackModule {
  const { settings, logger } = options;
  const client = createSlackClient(settings, logger);
  const identity = new SlackIdentity(client, logger);
  const directory = new SlackDirectory(client, logger);
  const surface = new SlackSurface({
    client,
    settings,
    identity,
    logger,
    render: options.render,
    maxFileBytes: options.bot.files.maxBytes,
    now: options.now,
    outbound: options.outbound,
  });
  const channels = new SlackChannelPort({ client, identity, directory, logger });
  const mode = isSocketMode(settings) ? 'socket' : 'http';
  let bolt: App | undefined;
  let socket: SocketModeReceiver | undefined;

  return {
    surface,
    channels,
    mode,
    mount(host, handler) {
      if (bolt) throw new Error('Slack is already mounted');
      // Our authorize never calls Slack: Bolt's default would run auth.test in the constructor
      // (an unhandled rejection when it fails) or on every event, and an event whose authorize
      // fails is acknowledged and dropped.
      const authorize = async () => {
        const me = identity.current;
        return { botToken: settings.botToken, botId: me?.botId, botUserId: me?.botUserId, teamId: me?.teamId };
      };
      const common = {
        authorize,
        clientOptions: slackClientOptions(settings, logger),
        logger: slackLogger(logger),
        // A per-conversation memory store we do not use.
        convoStore: false as const,
      };
      if (mode === 'socket') {
        // Built here rather than by Bolt so `stop()` can wait for the WebSocket to close: Bolt's
        // `app.stop()` resolves before the close handshake, leaving a 30 s timer behind.
        socket = new SocketModeReceiver({
          appToken: settings.appToken,
          logger: slackLogger(logger),
          // apps.connections.open goes through this client: same API URL and retry policy.
          installerOptions: { clientOptions: slackClientOptions(settings, logger) },
        });
        if (options.storeUp) holdEnvelopesWhileStoreDown(socket, options.storeUp, logger);
      }
      if (!socket) {
        // Registered before Bolt's router, so a request outside the time window never reaches it.
        host.post(SLACK_EVENTS_PATH, rejectSkewedSlackRequests());
        // A body declared too large gets a 413 that says so (Bolt's own, for a chunked one, is empty).
        host.post(
          SLACK_EVENTS_PATH,
          refuseDeclaredTooLarge(BODY_LIMIT_BYTES, (res) => {
            res.writeHead(413, { 'content-type': 'application/json; charset=utf-8' });
            res.end(JSON.stringify({ error: 'too_large', message: 'The request body is too large (1 MB at most).' }));
          }),
        );
      }
      const receiver =
        socket ??
        new ExpressReceiver({
          bodyLimit: BODY_LIMIT_BYTES,
          signingSecret: settings.signingSecret,
          app: host, // mounts its router on our app now; its own server is never started
          endpoints: SLACK_EVENTS_PATH,
          logger: slackLogger(logger),
          // Answer Slack only once the listener is done, so a 2xx means the event is in the store
          // (the broker persists it before `accept` resolves): a process killed after the answer
          // loses nothing, and one that cannot persist answers 5xx, which Slack retries. Listeners
          // are quick (a cached profile lookup and one store round trip), well inside Slack's 3 s.
          processBeforeResponse: true,
          processEventErrorHandler: async (args) => {
            const notAccepted = notAcceptedIn(args.error);
            if (!notAccepted || args.response.headersSent) return httpFunc.defaultProcessEventErrorHandler(args);
            answerNotAccepted(args.response, notAccepted);
            return false;
          },
        });
      bolt = new App({ ...common, receiver });
      logger.info(
        { surface: 'slack', mode, ...(mode === 'http' ? { path: SLACK_EVENTS_PATH } : {}) },
        mode === 'http' ? `Slack is on: HTTP at ${SLACK_EVENTS_PATH}` : 'Slack is on: Socket Mode',
      );
      registerListeners(bolt, {
        handler,
        surface,
        directory,
        identity,
        client,
        labels: { ...defaultCardLabels, ...options.render?.labels },
        detailsView: (offerId, o) => detailsView(offerId, options.bot, o),
        logger,
        now: options.now,
        routes: [channels.route()],
      });
    },
    async start() {
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, IDENTITY_WAIT_MS);
      });
      await Promise.race([identity.load(), waited]).finally(() => clearTimeout(timer));
      if (socket && bolt) {
        await bolt.start();
        logger.info({ surface: 'slack' }, 'Slack: connected in Socket Mode');
      }
    },
    async stop() {
      await socket?.client
        .disconnect()
        .catch((err: unknown) => logger.warn({ surface: 'slack', err }, 'Slack: Socket Mode did not close cleanly'));
    },
  };
}

/**
 * Bolt acknowledges an Events API envelope before any listener runs, so an event the store cannot
 * record would be acknowledged and lost. While the store is down, envelopes are not handed to
 * Bolt at all: unacknowledged, Slack sends them again (a few times, minutes apart). Buttons and
 * forms clicked meanwhile show the user Slack's own "did not respond" error.
 */
function holdEnvelopesWhileStoreDown(receiver: SocketModeReceiver, storeUp: () => boolean, logger: Logger): void {
  const init = receiver.init.bind(receiver);
  receiver.init = (app: App) => {
    const gated = Object.create(app) as App;
    gated.processEvent = async (event) => {
      if (storeUp()) return app.processEvent(event);
      logger.warn(
        { surface: 'slack', retryNum: event.retryNum },
        'Slack: envelope left unacknowledged while the store is unreachable; Slack will send it again',
      );
    };
    init(gated);
  };
}
