/**
 * How the Teams endpoint hands a request to botbuilder: the seam between botbuilder's public
 * HTTP entry and the faster direct one. Both run the same turn (CloudAdapterBase's own
 * `processActivity`: authentication first, then the logic, then the invoke response), with the
 * same cached connector clients (adapter.ts); they differ only in what surrounds it.
 *
 * - `public`: `CloudAdapter.process(req, res, logic)`, botbuilder's documented entry, writing
 *   into a recorder instead of the real response so the route keeps its own answers (its 401
 *   and 5xx bodies, Retry-After).
 * - `direct` (the default): the adapter's `processBody`, which skips what `process` does per
 *   request before the turn: six zod schemas built and run over the whole activity. Measured in
 *   bench/teams-entry.ts (numbers in bench/README.md).
 *
 * test/e2e/teams-turn-entry.test.ts runs the same requests through both and expects the same
 * answers: statuses, invoke bodies, authentication failures, events handed on.
 */
import type { Activity, TurnContext } from 'botbuilder';
import { AuthenticationError } from 'botframework-connector';
import type express from 'express';
import type { ConnectorCachingCloudAdapter } from './adapter';

export type TurnEntryKind = 'public' | 'direct';

/** What botbuilder answered for the turn: the invoke response's status and body, else 200. */
export interface TurnAnswer {
  status: number;
  body?: unknown;
}

/**
 * Runs the turn for a request whose body is a parsed activity. Rejects with botbuilder's
 * AuthenticationError when the request is not authenticated, and with the failure when
 * botbuilder failed outside the turn.
 */
export type TurnEntry = (req: express.Request, logic: (context: TurnContext) => Promise<void>) => Promise<TurnAnswer>;

export function turnEntry(adapter: ConnectorCachingCloudAdapter, kind: TurnEntryKind = 'direct'): TurnEntry {
  return kind === 'public' ? publicEntry(adapter) : directEntry(adapter);
}

function directEntry(adapter: ConnectorCachingCloudAdapter): TurnEntry {
  return async (req, logic) => {
    const invoke = await adapter.processBody(req.headers.authorization ?? '', req.body as Activity, logic);
    return { status: invoke?.status ?? 200, ...(invoke?.body !== undefined ? { body: invoke.body } : {}) };
  };
}

function publicEntry(adapter: ConnectorCachingCloudAdapter): TurnEntry {
  return async (req, logic) => {
    const recorded = new RecordedResponse();
    await adapter.process(req, recorded, logic);
    // `process` answers an authentication failure 401 and anything else that failed 500, with
    // the error's message as the body; the route answers those itself.
    if (recorded.statusCode === 401) throw new AuthenticationError(String(recorded.body ?? 'Unauthorized'), 401);
    if (recorded.statusCode === 500) throw new Error(`botbuilder could not run the turn: ${String(recorded.body ?? '')}`);
    return { status: recorded.statusCode, ...(recorded.body !== undefined ? { body: recorded.body } : {}) };
  };
}

/** The part of a response `process` writes to (botbuilder's `Response`), kept in memory. */
class RecordedResponse {
  statusCode = 200;
  body: unknown;
  readonly socket = undefined;

  status(code: number): this {
    this.statusCode = code;
    return this;
  }

  send(body?: unknown): this {
    if (body !== undefined) this.body = body;
    return this;
  }

  header(_name: string, _value: unknown): this {
    return this;
  }

  end(): this {
    return this;
  }
}
