/**
 * A stand-in for the HTTP response that botbuilder's `CloudAdapter.process` writes to. It records
 * the status, headers and body instead of sending them, so the route can still choose a
 * different answer after the turn (see routes.ts). Implements the four methods botbuilder's
 * `Response` interface checks for.
 */
import type { Response as BotResponse } from 'botbuilder';
import type { Response as ExpressResponse } from 'express';

export class DeferredResponse implements BotResponse {
  readonly socket: unknown = undefined;
  statusCode = 200;
  body: unknown;
  private readonly headers = new Map<string, unknown>();

  status(code: number): this {
    this.statusCode = code;
    return this;
  }

  header(name: string, value: unknown): this {
    this.headers.set(name, value);
    return this;
  }

  send(body?: unknown): this {
    this.body = body;
    return this;
  }

  end(): this {
    return this;
  }

  /** Writes what botbuilder asked for to the real response. */
  flushTo(res: ExpressResponse): void {
    res.status(this.statusCode);
    for (const [name, value] of this.headers) res.setHeader(name, value as string | number | readonly string[]);
    if (this.body === undefined || this.body === null) {
      res.end();
    } else if (typeof this.body === 'string' || Buffer.isBuffer(this.body)) {
      res.send(this.body);
    } else {
      res.json(this.body); // invoke responses
    }
  }
}
