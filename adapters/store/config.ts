/** Where state lives: in process memory by default, Redis when `REDIS_URL` is set. */
import { z } from 'zod';

export const storeSettingsSchema = z.object({
  /** `redis://host:port[/db]`. Unset: in-memory (one process only; lost on restart). */
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
    .optional(),
  /** Prefix of every key, so several bridges can share one Redis. */
  namespace: z.string().min(1).default('lab'),
});

export type StoreSettings = z.infer<typeof storeSettingsSchema>;
