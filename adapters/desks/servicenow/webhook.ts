/**
 * The outbound endpoint ServiceNow posts its replies to, mounted on the app at `webhook.path`,
 * and (in `oauth` mode) the token endpoint its OAuth profile calls, at `<path>/oauth/token`.
 *
 * The body parser is route-scoped and keeps the raw bytes: the signature is checked over exactly
 * what was sent, and nothing is parsed before the caller is verified. A request that fails the
 * check gets a 401 and changes nothing. Accepted payloads are handed over and answered at once
 * (`{"status":"success"}`); relaying to the user happens afterwards, in order per chat.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { asBridgeError, ErrorCode } from '../../../bots/core/errors';
import { setRetryAfter } from '../../../bots/http/errors';
import { BODY_MAX_DEPTH, checkJsonBounds } from '../../../bots/http/json-bounds';
import type { Logger } from '../../../bots/core/ports';
import { basicCredentials } from '../kit/webhook-signature';
import type { WebhookAuth } from './webhook-auth';
import type { OutboundPayload } from './wire-types';

export interface WebhookReceiver {
  /** Resolves once the payload is recorded and queued (not yet relayed). */
  receive(payload: OutboundPayload): Promise<'accepted' | 'duplicate' | 'ignored'>;
}

export interface WebhookRouteOptions {
  maxBodyBytes: number;
  auth: WebhookAuth;
  receiver: WebhookReceiver;
  logger: Logger;
}

export function createWebhookRouter(o: WebhookRouteOptions): Router {
  const router = express.Router();
  // Any content type: ServiceNow's REST message may say text/plain; we parse JSON ourselves.
  const raw = express.raw({ type: () => true, limit: o.maxBodyBytes });

  router.post('/', raw, async (req: Request, res: Response) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!o.auth.verify(req.headers, body)) {
      o.logger.warn({ ip: req.ip, mode: o.auth.mode }, 'servicenow webhook: request rejected (credentials missing or wrong)');
      return failure(res, 401, 'unauthorized', 'Missing or invalid credentials.');
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString('utf8'));
    } catch {
      return failure(res, 400, 'bad_request', 'The body must be JSON.');
    }
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
      return failure(res, 400, 'bad_request', 'The body must be a JSON object.');
    }
    const tooDeep = checkJsonBounds(payload, { maxDepth: BODY_MAX_DEPTH });
    if (tooDeep) return failure(res, 400, 'bad_request', `The body is ${tooDeep}.`);
    try {
      await o.receiver.receive(payload as OutboundPayload);
      res.status(200).json({ status: 'success' });
    } catch (e) {
      const err = asBridgeError(e);
      o.logger.error({ err }, 'servicenow webhook: could not take a payload');
      // Retryable: ServiceNow (or an operator) may send it again and nothing was applied.
      const status = err.status ?? 503;
      setRetryAfter(res, status);
      failure(res, status, err.code, 'The payload could not be recorded; try again.');
    }
  });

  if (o.auth.mode === 'oauth') {
    const form = [express.urlencoded({ extended: false, limit: '16kb' }), express.json({ limit: '16kb' })];
    router.post('/oauth/token', ...form, (req: Request, res: Response) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const [basicId, basicSecret] = basicCredentials(req.headers.authorization) ?? [];
      const token = o.auth.issueToken({
        grantType: str(body.grant_type),
        clientId: basicId ?? str(body.client_id),
        clientSecret: basicSecret ?? str(body.client_secret),
      });
      res.set('Cache-Control', 'no-store');
      if (token) return res.status(200).json(token);
      if (str(body.grant_type) !== 'client_credentials') return res.status(400).json({ error: 'unsupported_grant_type' });
      o.logger.warn({ ip: req.ip }, 'servicenow webhook: token request with wrong client credentials');
      res.status(401).json({ error: 'invalid_client' });
    });
  }

  // Body-parser failures (too large, bad encoding) answer in the same JSON shape.
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (!status || status < 400 || status >= 500) return next(err);
    failure(
      res,
      status,
      status === 413 ? 'too_large' : ErrorCode.BadRequest,
      status === 413 ? 'The body is too large.' : 'The body could not be read.',
    );
  });
  return router;
}

/** ServiceNow's own failure shape: `{"status":"failure","error":{"message","detail"}}`. */
function failure(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ status: 'failure', error: { message, detail: code } });
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
