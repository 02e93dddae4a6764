/**
 * Added-latency probe, loaded only into the benchmark's server children (never by production
 * code), so nothing in bots/ or adapters/ knows it exists:
 *
 * - arrival: `http.server.request.start` fires when Node has parsed a request's headers. The
 *   load generator tags every message request with an `x-bench-tag` header.
 * - departure to the user: outbound request bodies (the Bot Connector call) are read by wrapping
 *   `ClientRequest.prototype.write/end` in the child process (only while active); the time is
 *   taken when the request has been handed to the socket (`finish`). The tag is read from the
 *   activity text (Slack's form-encoded text is decoded first). The bridge's Slack transport is
 *   node:http too; a WebClient on Node's fetch (undici: the echo app's) never touches
 *   ClientRequest, so its body bytes are read as they are written to its sockets.
 * - departure to the agent: writes on open console event streams (`/console/api/events`), read
 *   for `message.created` events of user messages carrying a tag.
 *
 * Added latency of a message = departure - arrival, both read from `performance.now()` in the
 * same process. While inactive the subscribers return after one boolean check.
 */
import dc from 'node:diagnostics_channel';
import { ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

const bodies = new WeakMap<ClientRequest, string[]>();
/** Sockets of Node's built-in fetch (undici), which a stock Slack WebClient uses. */
const fetchSockets = new WeakSet<Socket>();
const TAG = /bench\[([a-z]\d+\.\d+)\]/g;

export interface ProbeSample {
  tag: string;
  /** Where the message left: `connector` (to the user) or `events` (to the agent's console). */
  via: 'connector' | 'events';
  ms: number;
}

export class LatencyProbe {
  private active = false;
  private readonly arrivals = new Map<string, number>();
  private readonly departures = new Map<string, { at: number; via: ProbeSample['via'] }>();

  install(): void {
    dc.subscribe('http.server.request.start', (message) => {
      const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
      if (request.url?.startsWith('/console/api/events')) this.watchEventStream(response);
      if (!this.active) return;
      const tag = request.headers['x-bench-tag'];
      if (typeof tag === 'string' && !this.arrivals.has(tag)) this.arrivals.set(tag, performance.now());
    });
    // Node publishes `http.client.request.start` only after the body was handed over, too late
    // to see it, so the body is read by wrapping ClientRequest's write/end in this process.
    const probe = this;
    const proto = ClientRequest.prototype as unknown as {
      write: (this: ClientRequest, ...args: unknown[]) => boolean;
      end: (this: ClientRequest, ...args: unknown[]) => ClientRequest;
    };
    const write = proto.write;
    const end = proto.end;
    proto.write = function (this: ClientRequest, ...args: unknown[]) {
      if (probe.active) probe.capture(this, args[0]);
      return write.apply(this, args);
    };
    proto.end = function (this: ClientRequest, ...args: unknown[]) {
      if (probe.active) {
        if (typeof args[0] !== 'function') probe.capture(this, args[0]);
        const body = bodies.get(this);
        if (body) this.once('finish', () => probe.depart(body.join(''), 'connector', performance.now()));
      }
      return end.apply(this, args);
    };
    // Node's fetch (undici, a stock Slack WebClient's) never touches ClientRequest: its body is
    // an async generator. Its sockets are marked when the request headers go out, and the
    // body's bytes are read as they are written to such a socket.
    dc.subscribe('undici:client:sendHeaders', (message) => {
      const { socket } = message as { socket?: Socket };
      if (socket) fetchSockets.add(socket);
    });
    const socketProto = Socket.prototype as unknown as { write: (this: Socket, ...args: unknown[]) => boolean };
    const socketWrite = socketProto.write;
    socketProto.write = function (this: Socket, ...args: unknown[]) {
      if (probe.active && fetchSockets.has(this)) {
        const chunk = args[0];
        if (typeof chunk === 'string' || chunk instanceof Uint8Array) {
          const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
          if (text.includes('bench')) probe.depart(text, 'connector', performance.now());
        }
      }
      return socketWrite.apply(this, args);
    };
  }

  start(): void {
    this.arrivals.clear();
    this.departures.clear();
    this.active = true;
  }

  /** Stop recording; return one sample per tag seen both arriving and leaving. */
  collect(): { samples: ProbeSample[]; unmatchedArrivals: number } {
    this.active = false;
    const samples: ProbeSample[] = [];
    for (const [tag, d] of this.departures) {
      const a = this.arrivals.get(tag);
      if (a !== undefined) samples.push({ tag, via: d.via, ms: d.at - a });
    }
    const unmatchedArrivals = this.arrivals.size - samples.length;
    this.arrivals.clear();
    this.departures.clear();
    return { samples, unmatchedArrivals };
  }

  depart(raw: string, via: ProbeSample['via'], at: number): void {
    // Slack's Web API client sends form-encoded bodies: `text=bench%5Ba17.3%5D+...`.
    const text = raw.includes('bench%5B') ? safeDecode(raw) : raw;
    for (const m of text.matchAll(TAG)) {
      if (!this.departures.has(m[1])) this.departures.set(m[1], { at, via });
    }
  }

  private watchEventStream(res: ServerResponse): void {
    const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
    (res as unknown as { write: typeof write }).write = (chunk: unknown, ...rest: unknown[]) => {
      if (this.active && typeof chunk === 'string' && chunk.startsWith('event: message.created') && chunk.includes('"from":"user"')) {
        this.depart(chunk, 'events', performance.now());
      }
      return write(chunk, ...rest);
    };
  }

  private capture(req: ClientRequest, chunk: unknown): void {
    if (typeof chunk !== 'string' && !Buffer.isBuffer(chunk)) return;
    const list = bodies.get(req) ?? [];
    list.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    bodies.set(req, list);
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
