/**
 * The web chat, assembled: the surface the broker sends through, and the routes the app mounts
 * at `/chat` once the broker exists (the routes hand user events to it).
 */
import type express from 'express';
import type { RenderOptions } from '../../cards/adaptive';
import type { Broker } from '../core/broker';
import type { FileVault } from '../core/file-vault';
import type { Clock, Logger, Store } from '../core/ports';
import type { CoreSettings } from '../core/settings';
import type { EventStreamLimits } from '../http/event-stream';
import { toWireChatState } from './chat-state';
import type { WebSettings } from './config';
import { UserStreams } from './event-stream';
import { MessageLog } from './message-log';
import { createWebRouter } from './routes';
import { WebSessions } from './sessions';
import { WebSurface } from './surface';

export interface WebChatDeps {
  settings: WebSettings;
  bot: CoreSettings;
  store: Store;
  files: FileVault;
  clock: Clock;
  logger: Logger;
  render: RenderOptions;
  /** Whether the server listens on loopback only (guests elsewhere get a warning). */
  loopback: boolean;
  /** How far behind a reader of the event stream may fall before it is dropped. */
  eventStreams?: EventStreamLimits;
}

export interface WebChat {
  readonly surface: WebSurface;
  /** Mount `/chat` (page and API); the broker takes the user events and tells the chat state. */
  mount(app: express.Express, broker: Pick<Broker, 'accept' | 'chatState'>): void;
  /** Exchange pushes with the other processes on the store (before users connect). */
  start(): Promise<void>;
  /** Close open event streams (shutdown). */
  close(): void;
}

/** Entries kept per user: plenty for a chat, small enough to read on every reload. */
const MAX_LOG_ENTRIES = 300;

export function createWebChat(deps: WebChatDeps): WebChat {
  const { settings, bot, store, files, clock, logger } = deps;
  const showAvatars = deps.render.showAvatars ?? true;
  // The surface exists before the broker (the broker sends through it); the broker arrives at mount.
  let broker: Pick<Broker, 'accept' | 'chatState'> | undefined;
  const chatState = async (userId: string) =>
    broker ? toWireChatState(await broker.chatState('web', userId), showAvatars) : { phase: 'none' as const };
  const log = new MessageLog(store, { ttlMs: bot.retentionDays * 24 * 3600 * 1000, maxEntries: MAX_LOG_ENTRIES });
  const streams = new UserStreams(clock, logger);
  const sessions = new WebSessions(store, clock, settings.sessionHours * 3600 * 1000);
  const surface = new WebSurface({ log, streams, files, logger, now: () => clock.now(), render: deps.render, chatState });

  if (settings.allowGuests && !deps.loopback) {
    logger.warn(
      { surface: 'web' },
      'Web chat: guests are allowed on a non-loopback address, so anyone who can reach /chat can talk to your agents. ' +
        'Set web.secret (WEB_CHAT_SECRET) and have your site sign users in, or set web.allowGuests to false.',
    );
  }

  return {
    surface,
    mount(app, b) {
      broker = b;
      app.use(
        '/chat',
        createWebRouter({
          settings,
          bot,
          store,
          sessions,
          surface,
          handler: b,
          streams,
          files,
          log,
          clock,
          logger,
          chatState,
          eventStreams: deps.eventStreams,
        }),
      );
    },
    start() {
      return streams.share(store);
    },
    close() {
      streams.closeAll();
      void streams.unshare();
    },
  };
}

/** The start-up banner line: where employees chat, and who may. */
export function webChatBanner(settings: WebSettings, baseUrl: string): string[] {
  if (!settings.enabled) return [];
  const who = settings.secret
    ? settings.allowGuests
      ? 'signed-in users and guests'
      : 'users your site signs in with WEB_CHAT_SECRET'
    : 'guests; set WEB_CHAT_SECRET to require sign-in';
  return [`  Web chat (employees):   ${baseUrl}/chat  (${who})`];
}
