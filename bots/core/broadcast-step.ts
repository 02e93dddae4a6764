/**
 * A broadcast applied from a user's inbox, in order with the user's chat: the card is sent, and
 * during a chat its buttons are disabled (with the note saying why) and held in the conversation
 * until the chat ends (`broadcastDelivered`, a transition).
 */
import type { BroadcastOutcome } from './broadcast-message';
import { broadcastView } from './broadcast-message';
import type { Entry } from './broker-entries';
import { asBridgeError } from './errors';
import type { OutboundContent, SentRef } from './ports';
import { transition } from './session';
import type { Effect, TransitionContext } from './session-events';
import type { Conversation } from './session-state';

/** What a broadcast's delivery reports to the process that asked for it. */
export type BroadcastResult = { outcome: BroadcastOutcome; reason?: string; retryable?: boolean };

/** Sends to the user's surface (`EffectRunner.surface(conv).send`). */
type SendToUser = (conv: Conversation, content: OutboundContent) => Promise<SentRef>;

/**
 * The outcome alone when nothing is left to record (sent outside a chat, not sent at all); with a
 * chat open, the transition that holds the buttons, with the outcome to report once it is applied.
 */
export async function broadcastStep(
  conv: Conversation | undefined,
  entry: Extract<Entry, { kind: 'broadcast' }>,
  send: SendToUser,
  ctx: TransitionContext,
): Promise<BroadcastResult | { state: Conversation; effects: Effect[]; outcome: BroadcastResult }> {
  if (!conv) return { outcome: 'unknown_user' };
  const inChat = conv.session?.phase === 'queued' || conv.session?.phase === 'live';
  const view = broadcastView(entry.broadcastId, entry.message, { disabledNote: inChat ? entry.disabledNote : undefined });
  let ref: SentRef;
  try {
    ref = await send(conv, { kind: 'card', view });
  } catch (e) {
    const err = asBridgeError(e);
    return { outcome: 'failed', reason: err.message, retryable: err.retryable };
  }
  if (!inChat) return { outcome: 'delivered' };
  const event = { type: 'broadcastDelivered' as const, broadcastId: entry.broadcastId, ref, held: true };
  return { ...transition(conv, { source: 'internal', event }, ctx), outcome: { outcome: 'delivered_buttons_disabled' } };
}
