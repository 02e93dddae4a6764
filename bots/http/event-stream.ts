/**
 * Server-Sent Events over a Node HTTP response, shared by the agent console and the web chat:
 * the `text/event-stream` framing, and the headers that keep proxies from buffering it.
 *
 * A reader that stops reading (a frozen tab, a stalled proxy) would make every event pile up in
 * the process: `res.write` keeps whatever the socket cannot take (a 116 MB burst was seen). So
 * each stream may hold at most `maxBufferedBytes` unsent; past that the reader is dropped: the
 * connection is destroyed (which frees what it held; ending it would queue the end behind the
 * backlog) and `onDrop` is told. Both pages reconnect on their own and reload their state when a
 * stream opens (lab-common.js `followEvents`), so what the dropped stream missed is not lost.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One open stream. Kept free of HTTP types so fan-out code can be tested without a server. */
export interface EventStream<E extends string = string> {
  send(event: E, data: unknown): void;
  /** An SSE comment line; keeps proxies from closing an idle connection. */
  comment(text: string): void;
  close(): void;
}

/** Proxies close idle connections after ~60 s; a comment every 20 s keeps a stream open. */
export const HEARTBEAT_MS = 20_000;
/** How long the browser waits before reconnecting on its own (the pages also back off). */
const RETRY_MS = 3000;
/** Default for `server.eventStreamMaxBufferedBytes`: far above a healthy reader's backlog. */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

export interface EventStreamLimits {
  /** Bytes a stream may hold unsent before its reader is dropped (checked after each write). */
  maxBufferedBytes: number;
  /** Told once per dropped reader (counted in /metrics). */
  onDrop?: () => void;
}

export function openEventStream<E extends string = string>(
  req: IncomingMessage,
  res: ServerResponse,
  onClose: () => void,
  limits: EventStreamLimits = { maxBufferedBytes: DEFAULT_MAX_BUFFERED_BYTES },
): EventStream<E> {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store, no-transform',
    Connection: 'keep-alive',
    // nginx and similar buffer responses unless told not to, which would stall the stream.
    'X-Accel-Buffering': 'no',
  });
  res.write(`retry: ${RETRY_MS}\n\n`);

  const open = () => !res.writableEnded && !res.destroyed;
  let closed = false;
  const closeOnce = () => {
    if (closed) return;
    closed = true;
    onClose();
  };
  req.on('close', closeOnce);
  res.on('close', closeOnce);
  res.on('error', closeOnce);

  const write = (chunk: string) => {
    if (!open()) return;
    res.write(chunk);
    // What the socket has not taken yet, in the response and the socket together.
    if (res.writableLength <= limits.maxBufferedBytes) return;
    res.destroy();
    closeOnce();
    limits.onDrop?.();
  };

  return {
    send(event, data) {
      // JSON.stringify never emits raw newlines, so one `data:` line is always enough.
      write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    comment(text) {
      write(`: ${text.replace(/[\r\n]/g, ' ')}\n\n`);
    },
    close() {
      if (open()) res.end();
      closeOnce();
    },
  };
}
