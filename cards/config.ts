/** Card wording a company may change (button titles, input labels); unset keys keep the defaults. */
import { z } from 'zod';
import { defaultCardLabels, type CardLabels } from './labels';

export const cardLabelsSchema = z
  .object(Object.fromEntries(Object.keys(defaultCardLabels).map((k) => [k, z.string().min(1)])) as Record<keyof CardLabels, z.ZodString>)
  .partial()
  .default({});

export type CardLabelOverrides = z.infer<typeof cardLabelsSchema>;

export function cardLabels(overrides: CardLabelOverrides): CardLabels {
  return { ...defaultCardLabels, ...overrides };
}
