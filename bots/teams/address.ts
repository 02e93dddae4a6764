/**
 * A Teams address is the Bot Framework ConversationReference of the user's 1:1 chat, stored as
 * plain JSON with the session so any process can send to the user later. It is refreshed on every
 * inbound activity because `serviceUrl` is regional and can move.
 */
import { TurnContext, type Activity, type ConversationReference } from 'botbuilder';
import { z } from 'zod';
import type { Address, SentRef } from '../core/ports';
import { BridgeError, ErrorCode } from '../core/errors';

export function addressFromActivity(activity: Partial<Activity>): Address {
  // A JSON round trip: what the store will hold anyway, and no SDK objects leak into the core.
  return JSON.parse(JSON.stringify(TurnContext.getConversationReference(activity))) as Address;
}

/** What a proactive send needs; the rest of the reference is passed through untouched. */
const referenceSchema = z
  .object({
    serviceUrl: z.string().url(),
    channelId: z.string().min(1),
    conversation: z.object({ id: z.string().min(1) }).passthrough(),
    bot: z.object({ id: z.string() }).passthrough().optional(),
    user: z.object({ id: z.string() }).passthrough().optional(),
  })
  .passthrough();

/** A stored reference, checked to have what a proactive send needs. */
export type TeamsReference = Partial<ConversationReference> & {
  serviceUrl: string;
  conversation: ConversationReference['conversation'];
};

export function referenceFromAddress(address: Address): TeamsReference {
  const parsed = referenceSchema.safeParse(address);
  if (!parsed.success) {
    // A corrupt or foreign address will never work; retrying cannot help. Same code as any
    // other failed send, so callers of the Surface port handle one error family.
    throw new BridgeError(ErrorCode.SurfaceSendFailed, 'not a Teams conversation reference', {
      retryable: false,
      details: parsed.error.issues,
    });
  }
  return parsed.data as unknown as TeamsReference;
}

/**
 * The handle TeamsSurface.send returns, and the `source` of a card click: the id of the activity
 * the bot sent. Together with the address it is all `update` needs.
 */
export function sentRef(activityId: string): SentRef {
  return { activityId };
}

export function activityIdFromRef(ref: SentRef): string {
  const id = ref.activityId;
  if (typeof id !== 'string' || id === '') {
    throw new BridgeError(ErrorCode.SurfaceSendFailed, 'not a Teams message reference (missing activityId)', {
      retryable: false,
    });
  }
  return id;
}
