/**
 * A Teams address is the part of the Bot Framework ConversationReference of the user's 1:1 chat
 * that a proactive send needs, stored as plain JSON with the session so any process can send to
 * the user later. It is refreshed on every inbound activity because `serviceUrl` is regional and
 * can move.
 */
import { TurnContext, type Activity, type ConversationReference } from 'botbuilder';
import { z } from 'zod';
import type { Address, SentRef } from '../core/ports';
import { BridgeError, ErrorCode } from '../core/errors';

/**
 * Only what a proactive send needs (service URL, channel, conversation id and tenant, bot id,
 * user id), as plain JSON. Left out on purpose: the activity id (a proactive message is not a
 * reply, and with it the address changed on every message, so the conversation was written to
 * the store for every message relayed), names, AAD id and locale (the profile has those).
 * References stored before this trimming still work: everything else passes through.
 */
export function addressFromActivity(activity: Partial<Activity>): Address {
  const ref = TurnContext.getConversationReference(activity);
  const conversation = ref.conversation;
  const address: Record<string, unknown> = {
    serviceUrl: ref.serviceUrl,
    channelId: ref.channelId,
    conversation: {
      id: conversation?.id,
      ...(conversation?.tenantId ? { tenantId: conversation.tenantId } : {}),
      ...(conversation?.isGroup ? { isGroup: true } : {}),
    },
    ...(ref.bot?.id !== undefined ? { bot: { id: ref.bot.id } } : {}),
    ...(ref.user?.id !== undefined ? { user: { id: ref.user.id } } : {}),
  };
  // Undefined values dropped, as the store will hold it (the core compares addresses as JSON).
  return JSON.parse(JSON.stringify(address)) as Address;
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
  // Every send checks its address; the common, well-formed case is checked by hand (the same
  // rules as the schema), and only a bad address pays for the schema's detailed report.
  if (looksLikeReference(address)) return address as unknown as TeamsReference;
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

function looksLikeReference(a: Address): boolean {
  const conversation = a.conversation as { id?: unknown } | null | undefined;
  const idOf = (x: unknown) => (x as { id?: unknown } | null | undefined)?.id;
  return (
    typeof a.serviceUrl === 'string' &&
    URL.canParse(a.serviceUrl) &&
    typeof a.channelId === 'string' &&
    a.channelId.length > 0 &&
    typeof conversation === 'object' &&
    conversation !== null &&
    typeof conversation.id === 'string' &&
    conversation.id.length > 0 &&
    (a.bot === undefined || (typeof a.bot === 'object' && a.bot !== null && typeof idOf(a.bot) === 'string')) &&
    (a.user === undefined || (typeof a.user === 'object' && a.user !== null && typeof idOf(a.user) === 'string'))
  );
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
