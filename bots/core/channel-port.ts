/**
 * What a desk whose agents work inside a chat platform (a Slack channel, a Teams channel) is
 * handed: post a message that starts a thread, reply in a thread, update a message it posted,
 * and hear what people write in the channels it owns. The Slack and Teams surfaces implement it
 * over the same app and bot users talk to (one Slack app, one Teams bot); the desk never sees a
 * platform SDK, and never imports `bots/slack` or `bots/teams`. The composition root hands the
 * ports to desks (`DeskDeps.channels`).
 *
 * Ids are the platform's own, as strings a desk can store and compare:
 * - Slack: `channel` is the channel id (`C…`/`G…`), a thread and a message are `ts` values.
 * - Teams: `channel` is the channel id (`19:…@thread.tacv2`), a thread is the id of its root
 *   message (what follows `;messageid=` in the thread's conversation id), a message is an
 *   activity id.
 * A thread is named by its root message, so the root's `thread` equals its `message`.
 */
import type { FileRef } from './ports';

/** The surfaces that have channels a desk can work in. */
export type ChannelSurface = 'slack' | 'teams';

/** A message the port posted or heard: enough to reply under it or to update it. */
export interface ChannelMessageRef {
  channel: string;
  /** The root message of the thread (for a root, its own id). */
  thread: string;
  message: string;
}

/** What a desk posts. `text` is Markdown, as everywhere in the core; each surface renders it. */
export interface ChannelPost {
  text: string;
}

/** A message a person wrote in a channel the desk owns, already translated from the platform. */
export interface ChannelMessage {
  surface: ChannelSurface;
  channel: string;
  /** The root message of the thread it belongs to; equal to `messageId` for a new root post. */
  thread: string;
  messageId: string;
  author: { id: string; name: string };
  /** Markdown, the bot's own mention removed. */
  text: string;
  /** Files shared with the message, for the surface's own download. */
  files: FileRef[];
  /**
   * Platform ids of this delivery (Slack: event_id and channel + ts; Teams: conversation id +
   * activity id). Platforms redeliver, sometimes under a new event id: a desk drops a message
   * when any of these was seen (the same de-duplication marks the broker uses for users).
   */
  dedupeKeys: string[];
}

/** Where a message was written, for a registration to say whether it is its own. */
export interface ChannelPlace {
  channel: string;
  thread: string;
}

/** A desk's claim on some channels: `owns` is asked for every channel message, in order. */
export interface ChannelRegistration {
  /** Synchronous and cheap: it runs for every channel message the bot hears. */
  owns(place: ChannelPlace): boolean;
  /**
   * Resolves once the message is persisted (or deliberately dropped); a rejection makes the
   * platform request fail, so the platform delivers the message again.
   */
  accept(message: ChannelMessage): Promise<void>;
}

export interface ChannelPort {
  readonly surface: ChannelSurface;
  /** A new message at the top of `channel`: the root of a new thread. */
  postThread(channel: string, post: ChannelPost): Promise<ChannelMessageRef>;
  /** A reply in the thread `thread` names (its `channel` and `thread`). */
  reply(thread: Pick<ChannelMessageRef, 'channel' | 'thread'>, post: ChannelPost): Promise<ChannelMessageRef>;
  /** Replace a message the bot posted through this port. */
  update(message: ChannelMessageRef, post: ChannelPost): Promise<void>;
  /** Hear messages in the channels `registration` owns; returns the way to stop. */
  onMessage(registration: ChannelRegistration): () => void;
}

/** The ports of the surfaces that are on, as the composition root hands them to desks. */
export interface ChannelPorts {
  slack?: ChannelPort;
  teams?: ChannelPort;
}

/**
 * The registrations of one surface, asked in the order they were made. Shared by both surfaces'
 * implementations so "who owns this channel message" means the same everywhere.
 */
export class ChannelRegistrations {
  private readonly list: ChannelRegistration[] = [];

  add(registration: ChannelRegistration): () => void {
    this.list.push(registration);
    return () => {
      const i = this.list.indexOf(registration);
      if (i >= 0) this.list.splice(i, 1);
    };
  }

  /** The first registration that owns `place`, if any. */
  ownerOf(place: ChannelPlace): ChannelRegistration | undefined {
    return this.list.find((r) => r.owns(place));
  }
}
