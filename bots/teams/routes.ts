/**
 * The Bot Framework endpoint. A turn only translates the activity and hands it to the broker,
 * which resolves once the event is persisted and queued; it never waits on the desk and never
 * replies inside the turn (all replies are proactive, through TeamsSurface). Teams redelivers
 * activities it has not had an answer for in ~15 s, so a short turn is also what keeps it from
 * sending duplicates.
 */
import express from 'express';
import type { CloudAdapter } from 'botbuilder';
import type { UserEventHandler } from '../core/events';
import { asBridgeError } from '../core/errors';
import type { Logger } from '../core/ports';
import { activityToUserEvent } from './inbound';
import { DeferredResponse } from './deferred-response';

export interface TeamsRouteDeps {
  adapter: CloudAdapter;
  handler: UserEventHandler;
  logger: Logger;
  /** Defaults to `/api/messages`, the messaging endpoint configured on the Azure Bot. */
  path?: string;
}

export function mountTeams(app: express.Express, deps: TeamsRouteDeps): void {
  const { adapter, handler, logger } = deps;
  const path = deps.path ?? '/api/messages';

  // CloudAdapter needs a parsed body. 1 MB is far above Teams' ~100 KB message limit.
  app.post(path, express.json({ limit: '1mb' }), async (req, res) => {
    // botbuilder throws (outside its own error handling) on a body without an activity type.
    if (!isActivityLike(req.body)) {
      res.status(400).json({ error: 'bad_request', message: 'expected a Bot Framework activity' });
      return;
    }
    // botbuilder writes its answer (200 or 401) as soon as the turn ends, and errors inside the
    // turn go to onTurnError, which must not rethrow. So the answer is held back until we know
    // whether the broker took the event; if it did not, Teams gets a 5xx and redelivers.
    const reply = new DeferredResponse();
    let failure: unknown;

    try {
      await adapter.process(req, reply, async (context) => {
        const activity = context.activity;
        const event = activityToUserEvent(activity);
        if (!event) {
          logger.debug({ surface: 'teams', activityType: activity.type, activityId: activity.id }, 'activity ignored');
          return;
        }
        try {
          const outcome = await handler.accept(event);
          logger.debug({ surface: 'teams', type: event.type, activityId: activity.id, outcome }, 'activity accepted');
        } catch (err) {
          failure = err;
        }
      });
    } catch (err) {
      failure = err; // botbuilder itself failed outside the turn
    }

    if (failure !== undefined) {
      const err = asBridgeError(failure);
      const status = err.status !== undefined && err.status >= 500 ? err.status : 500;
      logger.error({ surface: 'teams', err, status }, 'Teams activity could not be accepted; Teams will redeliver it');
      res.status(status).json({ error: err.code });
      return;
    }
    if (reply.statusCode === 401) {
      logger.warn({ surface: 'teams', ip: req.ip }, 'Teams request rejected: missing or invalid Bot Framework token');
    }
    reply.flushTo(res);
  });
}

function isActivityLike(body: unknown): boolean {
  return typeof body === 'object' && body !== null && typeof (body as { type?: unknown }).type === 'string';
}
