/**
 * Web chat settings. The chat at `/chat` is on by default so that `npm start` alone gives a
 * working chat; who may use it depends on `secret`:
 *
 * - `secret` set: users arrive with a token the embedding site signed with it (see identity.ts).
 * - no `secret`: anyone who opens the page gets a generated guest identity (development and
 *   trying the project out). `allowGuests` can turn guests on next to tokens, or off entirely.
 */
import { z } from 'zod';
import { flag } from '../../config/flag';

export const webSettingsSchema = z
  .object({
    enabled: flag.default(true),
    /**
     * The HMAC-SHA256 key shared with the embedding site (env WEB_CHAT_SECRET). At least 32
     * characters: it is the only thing standing between anyone and "I am the CFO".
     */
    secret: z.string().min(32, 'at least 32 characters (a random string; it signs user identities)').optional(),
    /** Unset: guests are allowed exactly when no secret is set. */
    allowGuests: flag.optional(),
    /**
     * The longest an embed token may live: a token whose `exp` is further ahead is refused, so a
     * site cannot (by mistake) hand out identities that never expire. Seconds.
     */
    tokenMaxAgeSeconds: z
      .number()
      .int()
      .min(30)
      .max(7 * 24 * 3600)
      .default(3600),
    /** How long a browser stays signed in after exchanging a token (or as a guest). Hours. */
    sessionHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 90)
      .default(24),
    /** The page's heading and title. */
    title: z.string().min(1).max(80).default('Help chat'),
  })
  .transform((v) => ({ ...v, allowGuests: v.allowGuests ?? v.secret === undefined }));

export type WebSettings = z.output<typeof webSettingsSchema>;
