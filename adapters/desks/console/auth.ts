/**
 * Bearer-token sign-in for the console API. The agent found is put on `res.locals.agent`.
 * Tokens travel only in the Authorization header: never in URLs, which end up in proxy logs
 * and browser history (the page reads events with fetch, so it can always send the header).
 */
import type { RequestHandler, Response } from 'express';
import { ErrorCode } from '../../../bots/core/errors';
import type { AgentInfo } from '../../../bots/core/ports';
import { sendError } from '../../../bots/http/errors';

export interface Authenticator {
  authenticate(token: string): AgentInfo | undefined;
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

export function requireAgent(auth: Authenticator): RequestHandler {
  return (req, res, next) => {
    const match = BEARER.exec(req.get('authorization') ?? '');
    const agent = match ? auth.authenticate(match[1]) : undefined;
    if (!agent) {
      res.set('WWW-Authenticate', 'Bearer realm="console"');
      return sendError(
        res,
        401,
        ErrorCode.Unauthorized,
        match ? 'That token is not valid. Sign in again.' : 'Sign in: send "Authorization: Bearer <token>".',
      );
    }
    res.locals.agent = agent;
    next();
  };
}

export function agentOf(res: Response): AgentInfo {
  return res.locals.agent as AgentInfo;
}
