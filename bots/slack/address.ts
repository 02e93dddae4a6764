/**
 * What the core stores to reach a Slack user, and what it gets back for a sent message. Plain
 * JSON, so any process can send or update later.
 *
 * Address: `{ team, channel, user }`, the user's DM with the app (`D…`). The Start click also
 * carries `{ triggerId, triggerAt }`: Slack lets an app open a modal only with the trigger of a
 * click, for about three seconds, so the surface can open the details form as a modal while the
 * trigger is fresh. Addresses are refreshed on every event, so an old trigger is simply ignored.
 *
 * SentRef: `{ channel, ts }` for a message; `view` is added when a modal was opened with it.
 */
import { z } from 'zod';
import { BridgeError, ErrorCode } from '../core/errors';
import type { Address, SentRef } from '../core/ports';

const addressSchema = z
  .object({
    team: z.string().optional(),
    channel: z.string().min(1).optional(),
    user: z.string().min(1).optional(),
    triggerId: z.string().min(1).optional(),
    /** Epoch ms when the click that made the trigger reached us. */
    triggerAt: z.number().optional(),
  })
  .refine((a) => a.channel !== undefined || a.user !== undefined, { message: 'needs a channel or a user' });

export type SlackAddress = z.infer<typeof addressSchema>;

export function slackAddress(a: { team?: string; channel?: string; user?: string; triggerId?: string; triggerAt?: number }): Address {
  // Only defined keys: the core compares addresses as JSON to skip needless store writes.
  return Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined && v !== '')) as Address;
}

export function parseAddress(address: Address): SlackAddress {
  const parsed = addressSchema.safeParse(address);
  if (!parsed.success) {
    // A corrupt or foreign address never works; retrying cannot help.
    throw new BridgeError(ErrorCode.SurfaceSendFailed, 'not a Slack address', { retryable: false, details: parsed.error.issues });
  }
  return parsed.data;
}

const refSchema = z.object({
  channel: z.string().min(1),
  ts: z.string().min(1).optional(),
  view: z.string().min(1).optional(),
});

export type SlackRef = z.infer<typeof refSchema>;

export function messageRef(channel: string, ts: string | undefined, view?: string): SentRef {
  return { channel, ...(ts ? { ts } : {}), ...(view ? { view } : {}) };
}

/** A stored ref; undefined for anything that is not one of ours (the caller then skips the update). */
export function parseRef(ref: SentRef): SlackRef | undefined {
  const parsed = refSchema.safeParse(ref);
  return parsed.success ? parsed.data : undefined;
}
