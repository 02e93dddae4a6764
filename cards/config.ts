/** Card wording a company may change (button titles, input labels); unset keys keep the defaults. */
import { z } from 'zod';
import { type CardLabels, defaultCardLabels, defaultSlackCardLabels, type SlackCardLabels } from './labels';

const labelKeys = Object.keys(defaultCardLabels) as (keyof CardLabels)[];
const slackLabelKeys = Object.keys(defaultSlackCardLabels) as (keyof SlackCardLabels)[];

export const cardLabelsSchema = z
  .object({
    ...(Object.fromEntries(labelKeys.map((k) => [k, z.string().min(1)])) as Record<keyof CardLabels, z.ZodString>),
    addDetails: z.string().min(1),
    addTopic: z.string().min(1),
    /** Slack cuts modal titles at 24 characters: longer fails the modal, so it is refused here. */
    modalTitle: z.string().min(1).max(24),
  })
  .partial()
  .default({});

export type CardLabelOverrides = z.infer<typeof cardLabelsSchema>;

export function cardLabels(overrides: CardLabelOverrides): CardLabels {
  return { ...defaultCardLabels, ...pick(overrides, labelKeys) };
}

/** The Slack-only labels (the "Add details" step and its modal). */
export function slackCardLabels(overrides: CardLabelOverrides): SlackCardLabels {
  return { ...defaultSlackCardLabels, ...pick(overrides, slackLabelKeys) };
}

function pick<K extends string>(overrides: Partial<Record<string, string>>, keys: readonly K[]): Partial<Record<K, string>> {
  return Object.fromEntries(keys.filter((k) => overrides[k] !== undefined).map((k) => [k, overrides[k]])) as Partial<Record<K, string>>;
}
