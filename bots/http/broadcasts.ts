/**
 * The broadcast API: `POST /api/broadcasts` sends a notification to users of any surface and
 * answers at once with an id; `GET /api/broadcasts/:id` reports progress per recipient.
 * Bearer-token protected; a malformed request gets 400 saying what is wrong, and nothing is sent.
 */
import express from 'express';
import { z } from 'zod';
import type { BroadcastService } from '../core/broadcasts';
import type { Logger } from '../core/ports';
import { hasBearer, sendUnauthorized } from './bearer';
import { jsonErrorHandler, sendError } from './errors';
import { jsonBody } from './json-body';
import { boundedJson } from './json-bounds';

const text = (max: number) => z.string().trim().min(1).max(max);

const actionSchema = z.union([
  z
    .object({
      title: text(80),
      url: z
        .string()
        .url()
        .refine((u) => /^https?:\/\//i.test(u), 'an http(s) URL'),
    })
    .strict(),
  // `data` is free-form and kept with the broadcast: bounded (json-bounds.ts) so it can be stored.
  z.object({ title: text(80), data: boundedJson() }).strict(),
]);

const recipientListSchema = z
  .array(z.object({ surface: z.enum(['teams', 'slack', 'web']), user: text(200) }).strict())
  .min(1, 'at least one recipient, or "all"')
  .max(100_000);

/** "all", or a list; parsed by hand so an error names the wrong entry rather than "Invalid input". */
const recipientsSchema = z.unknown().transform((value, ctx) => {
  if (value === 'all') return 'all' as const;
  if (!Array.isArray(value)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'either "all" or a list of { "surface", "user" }' });
    return z.NEVER;
  }
  const parsed = recipientListSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, message: issue.message } as z.IssueData);
  return z.NEVER;
});

export const broadcastRequestSchema = z
  .object({
    recipients: recipientsSchema,
    message: z
      .object({
        title: text(200),
        text: text(4000),
        imageUrl: z
          .string()
          .url()
          .refine((u) => /^https:\/\//i.test(u), 'an https URL')
          .optional(),
        facts: z
          .array(z.object({ title: text(100), value: text(500) }).strict())
          .max(20)
          .optional(),
        actions: z.array(actionSchema).max(6).default([]),
      })
      .strict(),
  })
  .strict();

export interface BroadcastRouteOptions {
  service: BroadcastService;
  token: string;
  logger: Logger;
}

export function createBroadcastRouter(options: BroadcastRouteOptions): express.Router {
  const router = express.Router();
  const expected = Buffer.from(options.token);

  router.use((req, res, next) => {
    if (!hasBearer(req, expected)) return sendUnauthorized(res, 'A valid broadcast token is required (Authorization: Bearer <token>).');
    next();
  });

  router.post('/', jsonBody({ limit: 2 * 1024 * 1024 }), async (req, res, next) => {
    try {
      const parsed = broadcastRequestSchema.safeParse(req.body);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
        return sendError(res, 400, 'bad_request', `The broadcast is not valid: ${problems.join('; ')}`);
      }
      const { recipients, message } = parsed.data;
      const created = await options.service.create(recipients, message);
      options.logger.info({ broadcastId: created.id, recipients: created.recipients }, 'broadcast accepted');
      res.status(202).json(created);
    } catch (e) {
      next(e);
    }
  });

  router.get('/:id', async (req, res, next) => {
    try {
      const status = await options.service.status(req.params.id);
      if (!status) {
        return sendError(res, 404, 'not_found', 'No broadcast with that id (they are kept for a limited time).');
      }
      res.json(status);
    } catch (e) {
      next(e);
    }
  });

  router.use(jsonErrorHandler(options.logger, { scope: 'broadcasts', describeLimit: () => '2 MB' }));
  return router;
}
