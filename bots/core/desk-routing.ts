/**
 * Which desk a chat goes to: routing rules over the chat's context, pure. The first rule whose
 * `when` matches names the desk; its `fallback` desks follow, in order, for when that desk is
 * down. A rule without `when` matches every chat; no matching rule means the default desk.
 * `desk-router.ts` asks the candidates' availability and persists the choice.
 */
import { z } from 'zod';
import type { DeskRoutingContext, SurfaceKind, UserProfile } from './ports';

export type { DeskRoutingContext } from './ports';

const values = z.array(z.string().min(1)).min(1, 'at least one value');

export const deskRoutingRuleSchema = z
  .object({
    /** Every key given must match (a key's list matches any of its values). Absent: every chat. */
    when: z
      .object({
        /** Topic ids (`bot.topics`). */
        topic: values.optional(),
        surface: z
          .array(z.enum(['teams', 'slack', 'web']))
          .min(1, 'at least one value')
          .optional(),
        /** User attributes: `locale`, `language`, `region`, `bot.routing` keys, web-token attributes. */
        attributes: z.record(z.string().min(1), values).optional(),
      })
      .strict()
      .optional(),
    /** The id of a desk in `desks`. */
    desk: z.string().min(1),
    /** Desk ids tried in order when `desk` is not available. */
    fallback: z.array(z.string().min(1)).default([]),
  })
  .strict();

export type DeskRoutingRule = z.infer<typeof deskRoutingRuleSchema>;

/**
 * The chat's attributes: its locale, the language and region the desk gets anyway
 * (`OpenChatRequest.routing`, `bot.routing` keys among them) and what the surface or the web
 * token said about the user.
 */
export function routingContextOf(input: {
  surface: SurfaceKind;
  user: Pick<UserProfile, 'locale' | 'attributes'>;
  routing: Record<string, string>;
  topic?: { id: string };
}): DeskRoutingContext {
  const attributes: Record<string, string> = { ...input.user.attributes, ...input.routing };
  if (input.user.locale) attributes.locale = input.user.locale;
  return { surface: input.surface, attributes, ...(input.topic ? { topic: input.topic.id } : {}) };
}

export function ruleMatches(rule: DeskRoutingRule, context: DeskRoutingContext): boolean {
  const when = rule.when;
  if (!when) return true;
  if (when.topic && (context.topic === undefined || !when.topic.includes(context.topic))) return false;
  if (when.surface && (context.surface === undefined || !when.surface.includes(context.surface))) return false;
  for (const [name, allowed] of Object.entries(when.attributes ?? {})) {
    const value = context.attributes[name]?.toLowerCase();
    if (value === undefined || !allowed.some((a) => a.toLowerCase() === value)) return false;
  }
  return true;
}

/** The desks to try for a chat, best first, each once: the rule's desk, then its fallback. */
export function deskCandidates(rules: readonly DeskRoutingRule[], context: DeskRoutingContext, defaultDesk: string): string[] {
  const rule = rules.find((r) => ruleMatches(r, context));
  const ordered = rule ? [rule.desk, ...rule.fallback] : [defaultDesk];
  return [...new Set(ordered)];
}
