/**
 * Slack signs `v0:{timestamp}:{body}`, and the timestamp is what stops a captured request from
 * being replayed. Bolt's ExpressReceiver refuses timestamps more than five minutes OLD but takes
 * any timestamp from the future, so a request signed with a clock set ahead (or crafted to be
 * replayed later) stays valid for as long as its timestamp says. This check runs before Bolt and
 * refuses both directions; Bolt still verifies the signature itself.
 *
 * Only the header is read here: the raw body stays untouched for Bolt's signature check.
 */
import type { RequestHandler } from 'express';

/** Slack's documented window: a request more than five minutes from now is refused. */
export const SLACK_MAX_REQUEST_AGE_SECONDS = 5 * 60;

export function rejectSkewedSlackRequests(now: () => number = Date.now): RequestHandler {
  return (req, res, next) => {
    const header = req.headers['x-slack-request-timestamp'];
    const timestamp = typeof header === 'string' && /^\d{1,12}$/.test(header.trim()) ? Number(header) : undefined;
    // A missing or malformed timestamp is Bolt's to refuse (it answers 401 the same way).
    if (timestamp === undefined) return next();
    const skew = Math.floor(now() / 1000) - timestamp;
    if (Math.abs(skew) <= SLACK_MAX_REQUEST_AGE_SECONDS) return next();
    res.status(401).json({
      error: {
        code: 'unauthorized',
        message:
          `The request's x-slack-request-timestamp is ${Math.round(Math.abs(skew) / 60)} minutes ${skew > 0 ? 'old' : 'in the future'}; ` +
          'Slack requests are accepted within 5 minutes of the current time.',
      },
    });
  };
}
