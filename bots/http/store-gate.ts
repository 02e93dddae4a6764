/**
 * While the store is down, every request that would change something (any method but GET, HEAD
 * and OPTIONS) is answered 503 with `Retry-After`, before any door sees it: a platform retries a
 * 503, whereas an event acknowledged with a 2xx and then not recorded is lost. Every inbound door
 * (Teams, Slack, the web chat, the console, broadcasts, desk webhooks) writes to the store, so
 * one gate in front of all of them says the same thing everywhere.
 *
 * It matters most where a door acknowledges before it touches the store (Bolt answers Slack
 * before any listener runs); elsewhere the store's own `store_unavailable`, mapped to 503 by the
 * shared error handling, would come a moment later. Reads are let through: they fail on their
 * own (503) when they need the store, and pages and assets do not.
 */
import type { RequestHandler } from 'express';
import { BridgeError, ErrorCode } from '../core/errors';
import type { Logger } from '../core/ports';
import { errorAnswer, setRetryAfter } from './errors';
import type { StoreHealth } from './store-health';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function refuseWritesWhileStoreDown(health: Pick<StoreHealth, 'up'>, logger?: Logger): RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method) || health.up()) return next();
    logger?.debug({ method: req.method, path: req.path }, 'request refused: the store is unreachable');
    const { status, body } = errorAnswer(new BridgeError(ErrorCode.StoreUnavailable, 'the store is unreachable', { retryable: true }));
    setRetryAfter(res, status);
    // The body is not read: say so, so the client does not reuse a connection with bytes left on it.
    res.set('Connection', 'close');
    res.status(status).json(body);
  };
}
