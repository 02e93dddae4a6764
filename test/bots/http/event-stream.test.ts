/**
 * An event stream whose reader stops reading is dropped once it holds more than its limit
 * (bots/http/event-stream.ts), instead of buffering every event in the process. Real HTTP on
 * 127.0.0.1: a raw socket that sends its request and never reads again, while a burst is written.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { openEventStream, type EventStream } from '../../../bots/http/event-stream';
import { eventually } from '../../helpers/eventually';

const LIMIT = 64 * 1024;
const EVENT = { text: 'x'.repeat(10_000) };
/** Far more than the kernel's socket buffers on loopback (a few MB) and the limit together. */
const BURST_BYTES = 32 * 1024 * 1024;

interface Opened {
  res: http.ServerResponse;
  stream: EventStream;
  closed: boolean;
}

let server: http.Server;
let port: number;
let drops = 0;
const opened: Opened[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const entry = { res, closed: false } as Opened;
    entry.stream = openEventStream(req, res, () => (entry.closed = true), { maxBufferedBytes: LIMIT, onDrop: () => (drops += 1) });
    opened.push(entry);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

/** A client that asks for the stream and then reads nothing. */
async function stalledReader(): Promise<{ socket: net.Socket; stream: Opened }> {
  const before = opened.length;
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
  socket.pause();
  await eventually(() => expect(opened.length).toBe(before + 1));
  return { socket, stream: opened[before] };
}

describe('event stream to a reader that stops reading', () => {
  it('keeps at most the limit (plus one event) buffered, then drops the reader and says so once', async () => {
    drops = 0;
    const { socket, stream } = await stalledReader();
    const eventBytes = Buffer.byteLength(`event: message\ndata: ${JSON.stringify(EVENT)}\n\n`);
    let mostBuffered = 0;
    let written = 0;
    while (written < BURST_BYTES) {
      stream.stream.send('message', EVENT);
      written += eventBytes;
      mostBuffered = Math.max(mostBuffered, stream.res.destroyed ? 0 : stream.res.writableLength);
    }
    expect(mostBuffered).toBeLessThanOrEqual(LIMIT + eventBytes);
    expect(stream.res.destroyed).toBe(true);
    expect(stream.closed).toBe(true);
    expect(drops).toBe(1);
    // Later events (and heartbeats) go nowhere and are not counted again.
    stream.stream.send('message', EVENT);
    stream.stream.comment('heartbeat');
    expect(drops).toBe(1);
    // The reader sees its connection end (once it reads again).
    socket.resume();
    await new Promise<void>((r) => socket.once('close', () => r()));
  });

  it('leaves a reader that keeps up alone', async () => {
    drops = 0;
    const before = opened.length;
    let received = 0;
    const done = new Promise<void>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/events' }, (res) => {
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > 2 * 1024 * 1024) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', reject);
    });
    await eventually(() => expect(opened.length).toBe(before + 1));
    const entry = opened[before];
    // Events a little at a time, as a desk sends them, waiting for the socket when it asks to,
    // until the reader has had 2 MB (far past the limit) and hangs up.
    while (!entry.closed) {
      entry.stream.send('message', EVENT);
      if (entry.res.writableNeedDrain) await new Promise((r) => entry.res.once('drain', r).once('close', r));
      else await new Promise((r) => setImmediate(r));
    }
    await done;
    expect(received).toBeGreaterThan(2 * 1024 * 1024);
    expect(drops).toBe(0);
  });
});
