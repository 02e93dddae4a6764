/**
 * What surfaces tell the core. Surface glue translates a platform payload (a Teams activity,
 * a Slack event) into one of these and hands it to the broker; the core never sees the payload.
 */
import type { Address, FileRef, SentRef, SurfaceKind, UserProfile } from './ports';

/** Who sent the event and how to reach them again. */
export interface UserContext {
  surface: SurfaceKind;
  profile: UserProfile;
  /** Refreshed on every inbound event: platform endpoints (e.g. Teams serviceUrl) can move. */
  address: Address;
}

interface UserEventBase {
  user: UserContext;
  /**
   * Platform ids that identify this delivery, for de-duplication (Teams: conversation id +
   * activity id; Slack: event_id and channel + ts). Any one already seen drops the event.
   */
  dedupeKeys: string[];
}

export type UserEvent = UserEventBase &
  (
    | { type: 'message'; messageId: string; text: string; files?: FileRef[] }
    /** The Start agent chat button. `source` is the card that was clicked. */
    | { type: 'startChat'; offerId: string; source?: SentRef }
    /** The details form was submitted. */
    | { type: 'submitDetails'; offerId: string; description: string; topicId?: string; source?: SentRef }
    /** Cancel while queued. */
    | { type: 'cancel'; sessionId: string; source?: SentRef }
    /** The user is typing (relayed to the agent while live). */
    | { type: 'typing' }
    /** A data button on a broadcast was pressed. */
    | { type: 'broadcastAction'; broadcastId: string; index: number; source?: SentRef }
  );

export type UserEventType = UserEvent['type'];

/** The key under which one user's state lives: one per user per surface (bot-scoped sessions). */
export function userKey(surface: SurfaceKind, userId: string): string {
  return `${surface}:${userId}`;
}

/** What surfaces hand events to. The broker implements it. */
export interface UserEventHandler {
  /**
   * De-duplicates the event, queues it behind earlier events of the same user, and resolves as
   * soon as it is accepted (not when processing finishes), so platform requests answer fast.
   * Resolves `duplicate` when any of its dedupe keys was already seen.
   */
  accept(event: UserEvent): Promise<'accepted' | 'duplicate'>;
}
