/**
 * The picture the simulator's `image` command sends when no file is named: a small "error
 * dialog" screenshot, drawn pixel by pixel and encoded as a PNG here, so the demo shows a real
 * image in the chat (not a 1×1 dot) and the repository carries no binary file for it.
 */
import { deflateSync } from 'node:zlib';

type Rgb = readonly [number, number, number];

const DESKTOP: Rgb = [31, 95, 209];
const WINDOW: Rgb = [245, 246, 248];
const TITLE_BAR: Rgb = [93, 102, 120];
const ERROR: Rgb = [179, 38, 30];
const WHITE: Rgb = [255, 255, 255];
const TEXT: Rgb = [170, 176, 188];

/** The colour at (x, y) of a `size`×`size` picture: a window on a blue desktop, a red ✕ in it. */
function pixel(x: number, y: number, size: number): Rgb {
  const u = x / size;
  const v = y / size;
  const inWindow = u >= 0.1 && u < 0.9 && v >= 0.16 && v < 0.84;
  if (!inWindow) return DESKTOP;
  if (v < 0.27) return TITLE_BAR;
  // The error icon: a red disc with a white cross.
  const cx = u - 0.3;
  const cy = v - 0.52;
  if (cx * cx + cy * cy < 0.12 * 0.12) {
    const onCross = Math.abs(Math.abs(cx) - Math.abs(cy)) < 0.025 && Math.abs(cx) < 0.07;
    return onCross ? WHITE : ERROR;
  }
  // Two grey lines of "text" beside it.
  const onLine = u >= 0.48 && u < 0.8 && ((v >= 0.44 && v < 0.48) || (v >= 0.56 && v < 0.6));
  return onLine ? TEXT : WINDOW;
}

/** The demo screenshot as PNG bytes (8-bit RGB, `size`×`size`, 64 by default). */
export function demoScreenshotPng(size = 64): Buffer {
  // Each row: filter type 0 (none), then R, G, B per pixel.
  const raw = Buffer.alloc(size * (1 + size * 3));
  for (let y = 0; y < size; y++) {
    const row = y * (1 + size * 3);
    for (let x = 0; x < size; x++) {
      const [r, g, b] = pixel(x, y, size);
      raw.set([r, g, b], row + 1 + x * 3);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0); // width
  header.writeUInt32BE(size, 4); // height
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type 2 (RGB), deflate, no filter set, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A PNG chunk: length, type, data, and the CRC-32 of type and data. */
function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 as PNG uses it (ISO 3309); node:zlib's own crc32 is not in every Node 20. */
export function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
