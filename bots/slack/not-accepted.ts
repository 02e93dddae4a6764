/**
 * An event the broker did not take (the store could not persist it). Over HTTP Slack is answered
 * only after the listener (`processBeforeResponse`), so this becomes the answer: a 5xx that Slack
 * retries (503 with `Retry-After` when the store is down), never a 200 that would drop the event.
 *
 * Bolt wraps listener errors (`asCodedError`) and hands them to the app's error handler; the
 * handler rethrows this one so that it reaches the receiver's `processEventErrorHandler`.
 */
import type { ServerResponse } from 'node:http';
import { errorAnswer, RETRY_AFTER_SECONDS } from '../http/errors';

export class SlackEventNotAccepted extends Error {
  constructor(override readonly cause: unknown) {
    super('the bridge could not take this Slack event');
    this.name = 'SlackEventNotAccepted';
  }
}

/** The `SlackEventNotAccepted` inside what Bolt passes around (itself, or as `original`). */
export function notAcceptedIn(error: unknown): SlackEventNotAccepted | undefined {
  if (error instanceof SlackEventNotAccepted) return error;
  const original = (error as { original?: unknown } | null)?.original;
  return original instanceof SlackEventNotAccepted ? original : undefined;
}

/** Answers a not-accepted event as the bridge's other doors answer a failure to persist. */
export function answerNotAccepted(response: ServerResponse, error: SlackEventNotAccepted): void {
  const { status, body } = errorAnswer(error.cause);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (status === 503) headers['retry-after'] = String(RETRY_AFTER_SECONDS);
  // Below 500 would tell Slack not to retry: a failure to persist is always ours.
  response.writeHead(Math.max(status, 500), headers);
  response.end(JSON.stringify(body));
}
