/**
 * An `EventStream` over a Node HTTP response: the `text/event-stream` framing, and the headers
 * that keep proxies from buffering or transforming it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventStream } from './sse';

/** How long the browser waits before reconnecting on its own (the page also backs off). */
const RETRY_MS = 3000;

export function openEventStream(req: IncomingMessage, res: ServerResponse, onClose: () => void): EventStream {
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
