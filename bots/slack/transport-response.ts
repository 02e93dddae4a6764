/**
 * The answer side of the Slack transport (`transport.ts`): the body read whole within a cap,
 * decompressed if a server compresses it unasked, and handed back as the small part of fetch's
 * Response that WebClient reads.
 */
import type http from 'node:http';
import zlib from 'node:zlib';

export interface TransportHeaders {
  get(name: string): string | null;
  has(name: string): boolean;
  entries(): IterableIterator<[string, string]>;
  forEach(callback: (value: string, name: string) => void): void;
  [Symbol.iterator](): IterableIterator<[string, string]>;
}

/** The part of fetch's Response that WebClient and fetch callers use (a real Response fits it too). */
export interface TransportResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly url: string;
  readonly headers: TransportHeaders;
  readonly bodyUsed: boolean;
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export function readWhole(res: http.IncomingMessage, maxBytes: number, done: (err: Error | undefined, body?: Buffer) => void): void {
  const tooLarge = () => new Error(`response body exceeds ${maxBytes} bytes`);
  if (Number(res.headers['content-length']) > maxBytes) {
    res.destroy();
    done(tooLarge());
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) {
      res.destroy();
      return done(tooLarge());
    }
    chunks.push(chunk);
  });
  res.on('end', () => done(undefined, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
  res.on('error', (err) => done(err));
  res.on('close', () => {
    if (!res.complete) done(new Error('connection closed before the response ended'));
  });
}

export class ResponseHeaders implements TransportHeaders {
  private readonly values = new Map<string, string>();

  /** From Node's raw [name, value, name, value, …]; repeated names are joined as fetch does. */
  constructor(raw: string[]) {
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toLowerCase();
      const previous = this.values.get(name);
      this.values.set(name, previous === undefined ? raw[i + 1] : `${previous}, ${raw[i + 1]}`);
    }
  }

  get(name: string): string | null {
    return this.values.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.values.has(name.toLowerCase());
  }

  /** Sorted by name, as fetch's Headers iterate. */
  entries(): IterableIterator<[string, string]> {
    return [...this.values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))[Symbol.iterator]();
  }

  forEach(callback: (value: string, name: string) => void): void {
    for (const [name, value] of this.entries()) callback(value, name);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

export class BufferedResponse implements TransportResponse {
  readonly ok: boolean;
  private used = false;

  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly url: string,
    readonly headers: ResponseHeaders,
    private readonly raw: Buffer,
    private readonly maxBytes: number,
  ) {
    this.ok = status >= 200 && status <= 299;
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  async text(): Promise<string> {
    const body = await this.consume();
    const text = body.toString('utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // fetch drops a BOM
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const body = await this.consume();
    return body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
  }

  /** The body, once, decoded lazily: a status check alone never pays for decompression. */
  private consume(): Promise<Buffer> {
    if (this.used) return Promise.reject(new TypeError('Body is unusable: body used already'));
    this.used = true;
    return decodeBody(this.raw, this.headers.get('content-encoding'), this.maxBytes);
  }
}

/** Undo `Content-Encoding` (codings apply in order, so undo them last first); unknown ones stay as is, as in fetch. */
async function decodeBody(raw: Buffer, contentEncoding: string | null, maxBytes: number): Promise<Buffer> {
  if (!contentEncoding || raw.length === 0) return raw;
  let body = raw;
  const codings = contentEncoding
    .toLowerCase()
    .split(',')
    .map((c) => c.trim())
    .reverse();
  for (const coding of codings) body = await decompress(body, coding, maxBytes);
  return body;
}

function decompress(body: Buffer, coding: string, maxBytes: number): Promise<Buffer> {
  // Lenient about a truncated end, like fetch; never more than maxBytes out.
  const options = { maxOutputLength: maxBytes, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, out: Buffer) => (err ? reject(err) : resolve(out));
    if (coding === 'gzip' || coding === 'x-gzip') zlib.gunzip(body, options, done);
    // "deflate" is meant to be zlib-wrapped, but some servers send it raw.
    else if (coding === 'deflate') (isZlibWrapped(body) ? zlib.inflate : zlib.inflateRaw)(body, options, done);
    else if (coding === 'br') zlib.brotliDecompress(body, { maxOutputLength: maxBytes }, done);
    else resolve(body);
  });
}

function isZlibWrapped(body: Buffer): boolean {
  return body.length >= 2 && (body[0] & 0x0f) === 0x08 && ((body[0] << 8) | body[1]) % 31 === 0;
}
