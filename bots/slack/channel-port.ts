/**
 * The channel port on Slack: a channel desk posts, replies and updates through the bridge's own
 * Web API client (same token, retries, transport), and hears channel messages through the Bolt
 * app users already talk to, as a route ahead of the user pipeline.
 *
 * What the app needs for it (docs/slack.md): the bot scopes `channels:history` and
 * `groups:history`, the bot events `message.channels` and `message.groups`, and the bot invited
 * to the agents' channel (`chat:write.public` can post without joining but hears nothing).
 */
import type { webApi } from '@slack/bolt';
import {
  type ChannelMessageRef,
  type ChannelPort,
  type ChannelPost,
  type ChannelRegistration,
  ChannelRegistrations,
} from '../core/channel-port';
import { asBridgeError, BridgeError, ErrorCode } from '../core/errors';
import type { InboundRoute } from '../core/inbound-router';
import { KeyedQueue } from '../core/keyed-queue';
import type { Logger } from '../core/ports';
import { channelMessageFrom, channelPlace, isChannelMessage } from './channel-inbound';
import { slackCall } from './client';
import type { SlackDirectory } from './directory';
import type { SlackIdentity } from './identity';
import { hasStubFiles, type SlackEventEnvelope } from './inbound';
import { completeStubs } from './listeners';
import { markdownToMrkdwn, mentionedUserIds } from './mrkdwn';
import { SlackEventNotAccepted } from './not-accepted';

export interface SlackChannelPortDeps {
  client: webApi.WebClient;
  identity: SlackIdentity;
  directory: SlackDirectory;
  logger: Logger;
}

export class SlackChannelPort implements ChannelPort {
  readonly surface = 'slack' as const;
  private readonly registrations = new ChannelRegistrations();
  /**
   * One call at a time per channel: Slack allows about one message a second per channel, and a
   * desk's reply and its update of the root must land in the order they were made.
   */
  private readonly order = new KeyedQueue();
  /** Per thread, messages are translated one at a time, so name lookups cannot reorder them. */
  private readonly perThread = new KeyedQueue();

  constructor(private readonly deps: SlackChannelPortDeps) {}

  postThread(channel: string, post: ChannelPost): Promise<ChannelMessageRef> {
    return this.post(channel, undefined, post);
  }

  reply(thread: Pick<ChannelMessageRef, 'channel' | 'thread'>, post: ChannelPost): Promise<ChannelMessageRef> {
    return this.post(thread.channel, thread.thread, post);
  }

  async update(message: ChannelMessageRef, post: ChannelPost): Promise<void> {
    const { client } = this.deps;
    await this.order.run(message.channel, () =>
      slackCall('chat.update', () =>
        client.chat.update({ channel: message.channel, ts: message.message, text: markdownToMrkdwn(post.text) }),
      ),
    );
  }

  onMessage(registration: ChannelRegistration): () => void {
    return this.registrations.add(registration);
  }

  /** The route the Slack listener asks before the user pipeline: channel messages someone owns. */
  route(): InboundRoute<SlackEventEnvelope> {
    return {
      name: 'slack-channels',
      select: (envelope) =>
        isChannelMessage(envelope.event, this.deps.identity.current?.botUserId) &&
        this.registrations.ownerOf(channelPlace(envelope.event)) !== undefined,
      handle: (envelope) => this.deliver(envelope),
    };
  }

  private async post(channel: string, threadTs: string | undefined, post: ChannelPost): Promise<ChannelMessageRef> {
    const { client } = this.deps;
    const res = await this.order.run(channel, () =>
      slackCall('chat.postMessage', () =>
        client.chat.postMessage({
          channel,
          text: markdownToMrkdwn(post.text),
          unfurl_links: false,
          ...(threadTs ? { thread_ts: threadTs } : {}),
        }),
      ),
    );
    if (!res.ts) throw new BridgeError(ErrorCode.SurfaceSendFailed, 'Slack chat.postMessage returned no ts', { retryable: false });
    return { channel, thread: threadTs ?? res.ts, message: res.ts };
  }

  private async deliver(envelope: SlackEventEnvelope): Promise<void> {
    const event = envelope.event;
    const place = channelPlace(event);
    await this.perThread.run(`${place.channel}:${place.thread}`, async () => {
      // Asked again: a registration may have gone while the message waited its turn.
      const owner = this.registrations.ownerOf(place);
      if (!owner) return;
      if (hasStubFiles(event)) event.files = await completeStubs(this.deps, event.files ?? []);
      const [author, names] = await Promise.all([
        this.deps.directory.profile(event.user ?? ''),
        this.deps.directory.names(mentionedUserIds(event.text ?? '')),
      ]);
      const message = channelMessageFrom(envelope, {
        authorName: author.name,
        botUserId: this.deps.identity.current?.botUserId,
        userName: (id) => names.get(id),
      });
      try {
        await owner.accept(message);
      } catch (err) {
        this.deps.logger.error(
          { surface: 'slack', err: asBridgeError(err), channel: place.channel, dedupeKeys: message.dedupeKeys },
          'channel message could not be accepted',
        );
        // Answered 5xx over HTTP (processBeforeResponse), so Slack sends it again.
        throw new SlackEventNotAccepted(err);
      }
    });
  }
}
