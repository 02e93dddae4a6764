/** The HTTP server and process-wide settings. */
import { z } from 'zod';
import { flag } from './flag';

export const serverSettingsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(3978),
  /**
   * Interface to bind. Defaults to 127.0.0.1; a public bind needs Bot Framework auth
   * (MicrosoftAppId) or the process refuses to start.
   */
  host: z.string().default('127.0.0.1'),
  /** The URL users and desks reach this process at (links in cards, file URLs, console URL). */
  publicUrl: z.string().url().optional(),
  /** Bearer token for GET /metrics. Unset: metrics are served to loopback clients only. */
  metricsToken: z.string().min(16, 'at least 16 characters').optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Bytes an event stream (console, web chat) may hold for a reader that is not keeping up; past
   * it the reader is dropped (its page reconnects and reloads). Default 1 MiB.
   */
  eventStreamMaxBufferedBytes: z
    .number()
    .int()
    .min(16 * 1024)
    .default(1024 * 1024),
  /** How long SIGTERM waits for in-flight work before exiting anyway. */
  shutdownGraceSeconds: z.number().int().min(0).default(10),
  /**
   * What every fetch of a URL that came from a platform or a desk (shared files, pasted images,
   * agents' attachments) may reach, besides each part's own host list (bots/http/outbound-guard.ts).
   * Both off in production; tests and local development against fakes on 127.0.0.1 turn them on.
   */
  outboundFetch: z
    .object({
      /** Allow loopback, link-local and private (RFC 1918, CGNAT, ULA) addresses. */
      allowPrivateNetworks: flag.default(false),
      /** Allow plain http:// URLs. */
      allowHttp: flag.default(false),
    })
    .default({}),
});

export type ServerSettings = z.infer<typeof serverSettingsSchema>;
