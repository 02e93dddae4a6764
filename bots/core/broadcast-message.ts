/**
 * What a broadcast says, how it is stored, and how it becomes a card view. Shared by the
 * broadcast service (fan-out) and the broker (delivery on the user's queue, restoring buttons).
 */
import type { BroadcastView, CardStatus } from './ports';

export interface BroadcastMessage {
  title: string;
  text: string;
  imageUrl?: string;
  facts?: { title: string; value: string }[];
  actions: ({ title: string; url: string } | { title: string; data: unknown })[];
}

export type BroadcastOutcome = 'delivered' | 'delivered_buttons_disabled' | 'unknown_user' | 'failed';

/**
 * Only records live under `broadcast:`, so the start-up scan for unfinished broadcasts reads
 * records, not the thousands of per-recipient keys.
 */
export const broadcastKeys = {
  record: (id: string) => `broadcast:${id}`,
  /** The recipient list, written once (records are rewritten on every progress flush). */
  recipients: (id: string) => `brecipients:${id}`,
  page: (id: string, page: number) => `bpage:${id}:${page}`,
  claim: (id: string, index: number) => `bclaim:${id}:${index}`,
  answer: (id: string, userKey: string) => `banswer:${id}:${userKey}`,
  /** The lease of the process delivering it (see `LeaseKeeper`). */
  lease: (id: string) => `blease:${id}`,
};

export function broadcastView(
  broadcastId: string,
  message: BroadcastMessage,
  options: { disabledNote?: string; status?: CardStatus } = {},
): BroadcastView {
  return {
    type: 'broadcast',
    broadcastId,
    title: message.title,
    text: message.text,
    imageUrl: message.imageUrl,
    facts: message.facts,
    actions: message.actions.map((a, index) =>
      'url' in a ? { kind: 'url' as const, title: a.title, url: a.url } : { kind: 'data' as const, title: a.title, index },
    ),
    disabledNote: options.disabledNote,
    status: options.status,
  };
}
