/**
 * The contract for button payloads: what a card button carries and what comes back when it is
 * clicked. Every renderer (Adaptive Cards for Teams, Block Kit for Slack, the web form) builds its
 * payloads with the builders below, and every surface's glue reads clicks with `parseCardAction`,
 * so the two ends cannot drift apart.
 *
 * Payloads are namespaced by the `lab` key (Live Agent Bridge). Cards that are not ours (a
 * broadcast's own buttons, another bot's card forwarded into the chat) never parse as ours.
 */
import { z } from 'zod';

/** Ids are ours (uuids or similar); the cap keeps a forged click from carrying a megabyte. */
const id = z.string().trim().min(1).max(200);

/**
 * Input values arrive as strings; an optional `Input.ChoiceSet` left empty comes back as `""` or
 * not at all depending on the client. Both mean "not given".
 */
const optionalText = (max: number) =>
  z
    .string()
    .max(max)
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** Longer than the card's own `maxLength` so a client that ignores it is cut, not rejected. */
export const DESCRIPTION_MAX_LENGTH = 4000;

const startChatSchema = z.object({ lab: z.literal('startChat'), offerId: id });

const submitDetailsSchema = z.object({
  lab: z.literal('submitDetails'),
  offerId: id,
  // Input values are merged into the payload by the client, keyed by the input's id.
  description: z
    .string()
    .optional()
    .transform((v) => (v ?? '').trim().slice(0, DESCRIPTION_MAX_LENGTH)),
  topic: optionalText(200),
});

const cancelSchema = z.object({ lab: z.literal('cancel'), sessionId: id });

const broadcastActionSchema = z.object({
  lab: z.literal('broadcastAction'),
  broadcastId: id,
  index: z.number().int().min(0).max(50),
});

const cardActionSchema = z.discriminatedUnion('lab', [startChatSchema, submitDetailsSchema, cancelSchema, broadcastActionSchema]);

/** A parsed click. `description` is trimmed and may be empty (the core decides what that means). */
export type CardAction = z.output<typeof cardActionSchema>;
export type CardActionKind = CardAction['lab'];

/** The ids of the inputs on the details form; the click merges their values into the payload. */
export const DetailsInput = { description: 'description', topic: 'topic' } as const;

/** What the Start agent chat button carries. */
export function startChatPayload(offerId: string): { lab: 'startChat'; offerId: string } {
  return { lab: 'startChat', offerId };
}

/** What the details form's submit button carries (the inputs are added by the client). */
export function submitDetailsPayload(offerId: string): { lab: 'submitDetails'; offerId: string } {
  return { lab: 'submitDetails', offerId };
}

/** What the Cancel button on the waiting card carries. */
export function cancelPayload(sessionId: string): { lab: 'cancel'; sessionId: string } {
  return { lab: 'cancel', sessionId };
}

/** What an answer button on a broadcast carries: which broadcast, which of its buttons. */
export function broadcastActionPayload(broadcastId: string, index: number): { lab: 'broadcastAction'; broadcastId: string; index: number } {
  return { lab: 'broadcastAction', broadcastId, index };
}

/**
 * For surfaces whose buttons carry a string (Slack's `value`, max 2000 chars): the payload as JSON.
 * `parseCardAction` accepts the string form too.
 */
export function encodeCardAction(payload: object): string {
  return JSON.stringify(payload);
}

/**
 * Reads a click: the object a surface received (Teams `activity.value`) or its JSON string form
 * (Slack `action.value`). Returns undefined for anything that is not one of our payloads, so the
 * caller can treat the activity as something else (plain text) or ignore it.
 */
export function parseCardAction(value: unknown): CardAction | undefined {
  let candidate = value;
  if (typeof candidate === 'string') {
    if (!candidate.trimStart().startsWith('{')) return undefined;
    try {
      candidate = JSON.parse(candidate);
    } catch {
      return undefined;
    }
  }
  const parsed = cardActionSchema.safeParse(candidate);
  return parsed.success ? parsed.data : undefined;
}
