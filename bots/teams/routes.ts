/**
 * The Bot Framework endpoint. A turn only translates the activity and hands it to the broker,
 * which resolves once the event is persisted and queued; it never waits on the desk and never
 * replies inside the turn (all replies are proactive, through TeamsSurface). Teams redelivers
 * activities it has not had an answer for in ~15 s, so a short turn is also what keeps it from
 * sending duplicates.
 *
 * Inside the turn an inbound router (bots/core/inbound-router.ts) picks who takes the activity:
 * channel desks' routes first (channel messages they own, bots/teams/channel-port.ts), then the
 * user pipeline, which takes every other activity, as before.
 */
import type express from 'express';
import type { Activity } from 'botbuilder';
import { AuthenticationError } from 'botframework-connector';
import type { UserEventHandler } from '../core/events';
import { asBridgeError } from '../core/errors';
import { InboundRouter, type InboundRoute } from '../core/inbound-router';
import { setRetryAfter, statusOf } from '../http/errors';
import { jsonBody } from '../http/json-body';
import type { Logger } from '../core/ports';
import type { ConnectorCachingCloudAdapter } from './adapter';
import { activityShapeProblems, describeShapeProblems } from './activity-shape';
import { activityToUserEvent } from './inbound';
import { type TurnAnswer, type TurnEntryKind, turnEntry } from './turn-entry';

const BODY_LIMIT_BYTES = 1024 * 1024;
const BODY_LIMIT_WORDS = '1 MB';

export interface TeamsRouteDeps {
  adapter: ConnectorCachingCloudAdapter;
  handler: UserEventHandler;
  logger: Logger;
  /** Defaults to `/api/messages`, the messaging endpoint configured on the Azure Bot. */
  path?: string;
  /** How requests reach botbuilder (turn-entry.ts); default `direct`. */
  entry?: TurnEntryKind;
  /** Routes asked before the user pipeline for every activity (channel desks' channel messages). */
  routes?: readonly InboundRoute<Partial<Activity>>[];
}

/** Every activity no other route took: translated to a user event for the broker, or ignored. */
function userPipeline(handler: UserEventHandler, logger: Logger): InboundRoute<Partial<Activity>> {
  return {
    name: 'user-pipeline',
    select: () => true,
    handle: async (activity) => {
      const event = activityToUserEvent(activity);
      if (!event) {
        logger.debug({ surface: 'teams', activityType: activity.type, activityId: activity.id }, 'activity ignored');
        return;
      }
      const outcome = await handler.accept(event);
      logger.debug({ surface: 'teams', type: event.type, activityId: activity.id, outcome }, 'activity accepted');
    },
  };
}

export function mountTeams(app: express.Express, deps: TeamsRouteDeps): void {
  const { adapter, handler, logger } = deps;
  const path = deps.path ?? '/api/messages';
  // Channel desks' routes first; the user pipeline takes everything else, as it always has.
  const router = new InboundRouter<Partial<Activity>>([...(deps.routes ?? []), userPipeline(handler, logger)]);
  const runTurn = turnEntry(adapter, deps.entry);

  // A parsed body is needed. 1 MB is far above Teams' ~100 KB message limit.
  app.post(path, jsonBody({ limit: BODY_LIMIT_BYTES }), async (req, res) => {
    // Before authentication: the answer says only what the body lacks, which its sender knows.
    const problems = activityShapeProblems(req.body);
    if (problems.length > 0) {
      logger.warn({ surface: 'teams', ip: req.ip, problems }, 'Teams request refused: not a complete activity');
      res.status(400).json({ error: 'bad_request', message: describeShapeProblems(problems), problems });
      return;
    }
    // Errors inside the turn go to onTurnError, which must not rethrow; so the broker's answer is
    // carried out of the turn, and Teams gets a 5xx (and redelivers) when the event was not taken.
    let failure: unknown;
    let answer: TurnAnswer | undefined;
    try {
      answer = await runTurn(req, async (context) => {
        try {
          await router.dispatch(context.activity);
        } catch (err) {
          failure = err;
        }
      });
    } catch (err) {
      if (err instanceof AuthenticationError) {
        logger.warn({ surface: 'teams', ip: req.ip }, 'Teams request rejected: missing or invalid Bot Framework token');
        res.status(401).json({ error: 'unauthorized', message: 'A valid Bot Framework token is required.' });
        return;
      }
      failure = err; // botbuilder itself failed outside the turn
    }

    if (failure !== undefined) {
      const err = asBridgeError(failure);
      // By the shared mapping (the store down, the bridge stopping: 503), but always a 5xx: an
      // event that was not taken must be redelivered, which Teams does for 5xx only.
      const mapped = statusOf(err);
      const status = Math.max(mapped, 500);
      logger.error({ surface: 'teams', err, status }, 'Teams activity could not be accepted; Teams will redeliver it');
      setRetryAfter(res, status);
      res.status(status).json({ error: err.code });
      return;
    }
    res.status(answer?.status ?? 200);
    if (answer?.body === undefined) res.end();
    else res.json(answer.body);
  });
  app.use(path, bodyRefusals(BODY_LIMIT_WORDS));
}

/** A body the parser refused (too large, too deep, not JSON), in this endpoint's error shape. */
function bodyRefusals(limit: string): express.ErrorRequestHandler {
  const words: Record<string, [number, string, string]> = {
    'entity.too.large': [413, 'too_large', `The request body is too large (${limit} at most).`],
    'entity.parse.failed': [400, 'bad_request', 'The request body is not valid JSON.'],
    'request.aborted': [400, 'bad_request', 'The request was aborted before its body arrived.'],
    'encoding.unsupported': [415, 'bad_request', 'Send the body as UTF-8.'],
    'charset.unsupported': [415, 'bad_request', 'Send the body as UTF-8.'],
  };
  return (err, _req, res, next) => {
    const type = typeof err?.type === 'string' ? err.type : '';
    if (res.headersSent) return next(err);
    if (type === 'entity.too.deep') return void res.status(400).json({ error: 'bad_request', message: err.message });
    const known = words[type];
    if (!known) return next(err);
    res.status(known[0]).json({ error: known[1], message: known[2] });
  };
}
