/**
 * Server-Sent Events over a Node HTTP response, shared by the agent console and the web chat:
 * the `text/event-stream` framing, and the headers that keep proxies from buffering it.
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

export function openEventStream<E extends string = string>(
  req: IncomingMessage,
  res: ServerResponse,
  onClose: () => void,
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

  return {
    send(event, data) {
      // JSON.stringify never emits raw newlines, so one `data:` line is always enough.
      if (open()) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    comment(text) {
      if (open()) res.write(`: ${text.replace(/[\r\n]/g, ' ')}\n\n`);
    },
    close() {
      if (open()) res.end();
      closeOnce();
    },
  };
}
