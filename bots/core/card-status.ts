/**
 * The status lines a card shows in place of its buttons once they no longer apply
 * (`bot.messages.cardStatus`), one per way a card stops applying.
 */
import { z } from 'zod';

export const cardStatusSchema = z
  .object({
    /** Offer cards once the user pressed Start on one of them. */
    requested: z.string().default('Agent chat requested'),
    /** The details form once sent; `sentWithTopic` names the topic (`{topic}`). */
    sent: z.string().default('Sent'),
    sentWithTopic: z.string().default('Sent ({topic})'),
    /** The details form or waiting card after the user cancelled. */
    cancelled: z.string().default('Cancelled'),
    /** A card from an earlier request, pressed again. */
    noLongerActive: z.string().default('No longer active'),
    /** The waiting card once an agent joined; `{agent}` is their name. */
    connected: z.string().default('Connected to {agent}'),
    /** The waiting card once the chat ended, per reason. */
    ended: z.string().default('Chat ended'),
    endedByAgent: z.string().default('Chat ended by the agent'),
    closedWithoutChat: z.string().default('Closed without a chat'),
    noAgent: z.string().default('No agent was available'),
    deskError: z.string().default('Could not connect to an agent'),
    interrupted: z.string().default('Chat ended by a problem on our side'),
    /** A broadcast once the user pressed one of its buttons; `{answer}` is the button's title. */
    answered: z.string().default('You answered: {answer}'),
  })
  .default({});

export type CardStatusWording = z.infer<typeof cardStatusSchema>;
