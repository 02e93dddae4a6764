/**
 * Bearer-token sign-in for the console API. The agent found is put on `res.locals.agent`.
 * Tokens travel only in the Authorization header: never in URLs, which end up in proxy logs
 * and browser history (the page reads events with fetch, so it can always send the header).
 */
import type { RequestHandler, Response } from 'express';
import type { AgentInfo } from '../../../bots/core/ports';
import { bearerToken, sendUnauthorized } from '../../../bots/http/bearer';

export interface Authenticator {
  authenticate(token: string): AgentInfo | undefined;
}

export function requireAgent(auth: Authenticator): RequestHandler {
  return (req, res, next) => {
    const token = bearerToken(req);
    const agent = token !== undefined ? auth.authenticate(token) : undefined;
    if (!agent) {
      return sendUnauthorized(
        res,
        token !== undefined ? 'That token is not valid. Sign in again.' : 'Sign in: send "Authorization: Bearer <token>".',
        'console',
      );
    }
    res.locals.agent = agent;
    next();
  };
}

export function agentOf(res: Response): AgentInfo {
  return res.locals.agent as AgentInfo;
}
