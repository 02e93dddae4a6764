/**
 * The channel port on Teams: a channel desk starts threads, replies in them and updates what it
 * posted through the bridge's own Bot Connector client (connector.ts, the bot's token from the
 * adapter), and hears channel messages through the bot's endpoint, as a route ahead of the user
 * pipeline (routes.ts).
 *
 * - A thread is a conversation of its own: `POST /v3/conversations` with the channel in
 *   `channelData` creates it and answers `19:…;messageid=<root>`; replies are posted to that
 *   conversation id (a reply with only `replyToId` lands at the top level), updates are a PUT
 *   of the activity in it.
 * - Where to post (the regional `serviceUrl`, the tenant, the bot's `28:` id) is learned from
 *   the channel's own activities and shared through the store; until one arrived, the port's
 *   defaults apply (Teams' global service URL, the configured tenant).
 */
import {
  type ChannelMessageRef,
  type ChannelPort,
  type ChannelPost,
  type ChannelRegistration,
  ChannelRegistrations,
} from '../core/channel-port';
import type { Activity } from 'botbuilder';
import type { InboundRoute } from '../core/inbound-router';
import { KeyedQueue } from '../core/keyed-queue';
import type { Logger, Store } from '../core/ports';
import type { ConnectorCachingCloudAdapter } from './adapter';
import { channelMessageFrom, channelPlaceOf, isChannelActivity, threadConversationId } from './channel-inbound';
import { BotConnector, type BotConnectorOptions } from './connector';
import { contentToActivity } from './outbound';
import { sendError } from './surface';

/** Microsoft's global Bot Connector endpoint for Teams, valid for proactive sends in any region. */
export const TEAMS_GLOBAL_SERVICE_URL = 'https://smba.trafficmanager.net/teams/';

export interface TeamsChannelPortOptions {
  adapter: ConnectorCachingCloudAdapter;
  /** The bot's MicrosoftAppId (empty with auth off). */
  appId: string;
  /** The tenant of the agents' team (default: none; learned from the channel's activities). */
  tenantId?: string;
  /** Where to post before the channel was heard from (default: Teams' global service URL). */
  serviceUrl?: string;
  logger: Logger;
  /** Shares what was learned about each channel with the other processes (optional). */
  store?: Store;
  connector?: Omit<BotConnectorOptions, 'token'>;
}

/** Where a channel lives, as the store keeps it; a month, renewed by the channel's activities. */
const placeKey = (channel: string) => `teams:channel-place:${channel}`;
const PLACE_TTL_MS = 30 * 24 * 60 * 60 * 1000;

interface ChannelWhere {
  serviceUrl: string;
  tenantId?: string;
  botId?: string;
}

export class TeamsChannelPort implements ChannelPort {
  readonly surface = 'teams' as const;
  private readonly registrations = new ChannelRegistrations();
  private readonly connector: BotConnector;
  /** What the channel's latest activity said about where it lives. */
  private readonly learned = new Map<string, ChannelWhere>();
  /** One call at a time per channel, so a reply and an update land in the order they were made. */
  private readonly order = new KeyedQueue();

  constructor(private readonly options: TeamsChannelPortOptions) {
    const appId = options.appId.trim();
    this.connector = new BotConnector({ ...options.connector, token: (serviceUrl) => options.adapter.botToken(appId, serviceUrl) });
  }

  async postThread(channel: string, post: ChannelPost): Promise<ChannelMessageRef> {
    const where = await this.whereIs(channel);
    const activity = this.activity(post);
    const parameters = {
      isGroup: true,
      channelData: { channel: { id: channel }, ...(where.tenantId ? { tenant: { id: where.tenantId } } : {}) },
      ...(where.tenantId ? { tenantId: where.tenantId } : {}),
      ...(where.botId ? { bot: { id: where.botId } } : {}),
      activity,
    };
    const created = await this.order.run(channel, () =>
      this.call(channel, 'thread start', () => this.connector.createConversation(where.serviceUrl, parameters)),
    );
    const root = created.activityId ?? channelPlaceOf({ conversation: { id: created.id } as Activity['conversation'] }).thread;
    return { channel, thread: root, message: root };
  }

  async reply(thread: Pick<ChannelMessageRef, 'channel' | 'thread'>, post: ChannelPost): Promise<ChannelMessageRef> {
    const where = await this.whereIs(thread.channel);
    const target = this.target(where, thread);
    const id = await this.order.run(thread.channel, () =>
      this.call(thread.channel, 'reply', () => this.connector.send(target, this.addressed(this.activity(post), where, thread))),
    );
    return { channel: thread.channel, thread: thread.thread, message: id ?? '' };
  }

  async update(message: ChannelMessageRef, post: ChannelPost): Promise<void> {
    const where = await this.whereIs(message.channel);
    const target = this.target(where, message);
    const activity = { ...this.addressed(this.activity(post), where, message), id: message.message };
    await this.order.run(message.channel, () =>
      this.call(message.channel, 'update', () => this.connector.update(target, message.message, activity)),
    );
  }

  onMessage(registration: ChannelRegistration): () => void {
    return this.registrations.add(registration);
  }

  /** The route routes.ts asks before the user pipeline: channel messages someone owns. */
  route(): InboundRoute<Partial<Activity>> {
    return {
      name: 'teams-channels',
      select: (activity) => isChannelActivity(activity) && this.registrations.ownerOf(channelPlaceOf(activity)) !== undefined,
      handle: async (activity) => {
        const message = channelMessageFrom(activity);
        await this.learn(message.channel, activity);
        const owner = this.registrations.ownerOf(message);
        if (owner) await owner.accept(message);
      },
    };
  }

  /**
   * Remembers where the channel lives, here and (when it changed) in the store, so every process
   * posts to the channel's own region. A store that cannot take it costs the message nothing:
   * the next activity tries again, and meanwhile the defaults serve.
   */
  private async learn(channel: string, activity: Partial<Activity>): Promise<void> {
    if (!activity.serviceUrl) return;
    const tenant = activity.conversation?.tenantId ?? (activity.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id;
    const where: ChannelWhere = {
      serviceUrl: activity.serviceUrl,
      ...(tenant ? { tenantId: tenant } : {}),
      ...(activity.recipient?.id ? { botId: activity.recipient.id } : {}),
    };
    if (JSON.stringify(this.learned.get(channel)) === JSON.stringify(where)) return;
    this.learned.set(channel, where);
    try {
      await this.options.store?.set(placeKey(channel), where, PLACE_TTL_MS);
    } catch (err) {
      this.options.logger.warn({ surface: 'teams', err, channel }, 'Teams: could not store where a channel lives');
      this.learned.delete(channel);
    }
  }

  private async whereIs(channel: string): Promise<ChannelWhere> {
    let known = this.learned.get(channel);
    if (!known && this.options.store) {
      known = await this.options.store.get<ChannelWhere>(placeKey(channel)).catch(() => undefined);
      if (known) this.learned.set(channel, known);
    }
    const botId = this.options.appId.trim() ? `28:${this.options.appId.trim()}` : undefined;
    return {
      serviceUrl: known?.serviceUrl ?? this.options.serviceUrl ?? TEAMS_GLOBAL_SERVICE_URL,
      tenantId: known?.tenantId ?? this.options.tenantId,
      botId: known?.botId ?? botId,
    };
  }

  private target(where: ChannelWhere, thread: Pick<ChannelMessageRef, 'channel' | 'thread'>) {
    return { serviceUrl: where.serviceUrl, conversationId: threadConversationId(thread.channel, thread.thread) };
  }

  private activity(post: ChannelPost): Partial<Activity> {
    return contentToActivity({ kind: 'text', text: post.text }).activity;
  }

  /** The activity as a reply in the thread: channel, service URL and conversation, from the bot. */
  private addressed(
    activity: Partial<Activity>,
    where: ChannelWhere,
    thread: Pick<ChannelMessageRef, 'channel' | 'thread'>,
  ): Partial<Activity> {
    const conversation = {
      id: threadConversationId(thread.channel, thread.thread),
      isGroup: true,
      conversationType: 'channel',
      ...(where.tenantId ? { tenantId: where.tenantId } : {}),
    };
    return {
      ...activity,
      channelId: 'msteams',
      serviceUrl: where.serviceUrl,
      conversation: conversation as Activity['conversation'],
      ...(where.botId ? { from: { id: where.botId } as Activity['from'] } : {}),
    };
  }

  private async call<T>(channel: string, operation: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      const error = sendError(err, `channel ${operation}`, channel);
      this.options.logger.warn({ surface: 'teams', err: error, channel }, `Teams: channel ${operation} failed`);
      throw error;
    }
  }
}
