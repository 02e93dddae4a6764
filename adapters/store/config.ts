/** Where state lives: in process memory by default, Redis when `REDIS_URL` is set. */
import { z } from 'zod';
import { memoryEngineNames } from './memory-engine';

export const storeSettingsSchema = z.object({
  /** `redis://host:port[/db]`. Unset: in-memory (one process only; lost on restart). */
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
    .optional(),
  /** Prefix of every key, so several bridges can share one Redis. */
  namespace: z.string().min(1).default('lab'),
  /**
   * In memory: where entries are kept (adapters/store/memory-engine.ts). `map` (Maps of our own)
   * is the default and cheaper per call; `keyv` is keyv through its public API, the reference
   * the benchmark compares it with (`--memory-engine keyv`).
   */
  memoryEngine: z.enum(memoryEngineNames).default('map'),
});

export type StoreSettings = z.infer<typeof storeSettingsSchema>;
