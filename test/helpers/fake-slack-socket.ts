/**
 * A local stand-in for Slack's Socket Mode WebSocket: just enough of RFC 6455 (handshake, text
 * frames, ping/pong, close) to speak to @slack/socket-mode's client. Slack sends `hello`, then
 * envelopes (`events_api`, `interactive`); the app acknowledges each by `envelope_id`.
 *
 * The fake Slack Web API answers `apps.connections.open` with this server's URL.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Waiters } from './waiters';

export interface SocketAck {
  envelope_id: string;
  payload?: unknown;
}

export interface FakeSocketMode {
  /** `ws://…` for apps.connections.open. */
  readonly url: string;
  readonly acks: SocketAck[];
  /** Resolves once a client connected and got `hello`. */
  connected(timeoutMs?: number): Promise<void>;
  /** Send an envelope; resolves with the app's acknowledgement. */
  send(type: 'events_api' | 'interactive', payload: object, extra?: Record<string, unknown>): Promise<SocketAck>;
  /** Send an envelope without waiting for an acknowledgement; returns its envelope id. */
  deliver(type: 'events_api' | 'interactive', payload: object, extra?: Record<string, unknown>): string;
  /**
   * A WebSocket ping answered by the client's pong: the client has read every frame sent before
   * it (and @slack/socket-mode hands each envelope to the app as it reads it).
   */
  roundTrip(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export async function startFakeSocketMode(): Promise<FakeSocketMode> {
  const acks: SocketAck[] = [];
  const sockets = new Set<Socket>();
  let current: Socket | undefined;
  const waiters = new Waiters();
  const pongs = new Set<string>();
  const wake = () => waiters.wake();

  const server: Server = createServer((_req, res) => res.writeHead(426).end());
  server.on('upgrade', (req, socket: Socket) => {
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string') return socket.destroy();
    const accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    socket.write(
      ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`, '', ''].join(
        '\r\n',
      ),
    );
    sockets.add(socket);
    current = socket;
    socket.on('close', () => {
      sockets.delete(socket);
      if (current === socket) current = undefined;
    });
    socket.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const frame = readFrame(buffer);
        if (!frame) break;
        buffer = buffer.subarray(frame.length);
        if (frame.opcode === 0x1) {
          try {
            acks.push(JSON.parse(frame.payload.toString('utf8')) as SocketAck);
            wake();
          } catch {
            // not JSON: ignore
          }
        } else if (frame.opcode === 0xa) {
          pongs.add(frame.payload.toString('utf8'));
          wake();
        } else if (frame.opcode === 0x9) {
          socket.write(encodeFrame(0xa, frame.payload));
        } else if (frame.opcode === 0x8) {
          socket.end(encodeFrame(0x8, frame.payload.subarray(0, 2)));
        }
      }
    });
    socket.write(
      encodeFrame(
        0x1,
        Buffer.from(
          JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0BRIDGE' }, debug_info: { host: 'fake' } }),
        ),
      ),
    );
    wake();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/link`;

  const waitFor = <T>(find: () => T | undefined, timeoutMs: number, what: string) =>
    waiters.waitFor(find, timeoutMs, () => `fake Socket Mode: no ${what} within ${timeoutMs} ms`);

  const fake: FakeSocketMode = {
    url,
    acks,
    async connected(timeoutMs = 5000) {
      await waitFor(() => current, timeoutMs, 'connection');
    },
    async send(type, payload, extra = {}) {
      const envelopeId = fake.deliver(type, payload, extra);
      return waitFor(() => acks.find((a) => a.envelope_id === envelopeId), 5000, `ack of ${envelopeId}`);
    },
    deliver(type, payload, extra = {}) {
      const socket = current;
      if (!socket) throw new Error('fake Socket Mode: no client connected');
      const envelopeId = randomUUID();
      const envelope = {
        envelope_id: envelopeId,
        type,
        payload,
        accepts_response_payload: type !== 'events_api',
        retry_attempt: 0,
        retry_reason: '',
        ...extra,
      };
      socket.write(encodeFrame(0x1, Buffer.from(JSON.stringify(envelope))));
      return envelopeId;
    },
    async roundTrip(timeoutMs = 5000) {
      const socket = current;
      if (!socket) throw new Error('fake Socket Mode: no client connected');
      const token = randomUUID();
      socket.write(encodeFrame(0x9, Buffer.from(token)));
      await waitFor(() => (pongs.has(token) ? true : undefined), timeoutMs, `pong ${token}`);
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.byteLength;
  const header = len < 126 ? Buffer.from([0x80 | opcode, len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (len >= 126 && len < 65536) {
    header[0] = 0x80 | opcode;
    header[1] = 126;
    header.writeUInt16BE(len, 2);
  } else if (len >= 65536) {
    header[0] = 0x80 | opcode;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([header, payload]);
}

/** One complete frame at the start of `buf` (client frames are masked), or undefined. */
function readFrame(buf: Buffer): { opcode: number; payload: Buffer; length: number } | undefined {
  if (buf.length < 2) return undefined;
  const opcode = buf[0] & 0x0f;
  const masked = (buf[1] & 0x80) !== 0;
  let len = buf[1] & 0x7f;
  let offset = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    offset = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  const maskBytes = masked ? 4 : 0;
  if (buf.length < offset + maskBytes + len) return undefined;
  const mask = masked ? buf.subarray(offset, offset + 4) : undefined;
  const payload = Buffer.from(buf.subarray(offset + maskBytes, offset + maskBytes + len));
  if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
  return { opcode, payload, length: offset + maskBytes + len };
}
