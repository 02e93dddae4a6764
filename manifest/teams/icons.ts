/**
 * Draws the two Teams app icons and writes them as PNG files next to this script:
 * - color.png: 192×192, full colour: a white speech bubble on the accent colour.
 * - outline.png: 32×32, white on transparent: the same bubble as an outline.
 *
 * The PNGs are committed; rerun only to change the artwork: `npx tsx manifest/teams/icons.ts`.
 * No image library: the shapes are signed distance functions, 4×4 supersampled for smooth
 * edges, and the PNG encoder is below (zlib + CRC-32).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { crc32 } from './crc32';

/** Teams' own indigo; also the manifest's accentColor. */
export const ACCENT = { r: 0x4f, g: 0x52, b: 0xb2 };

type Vec = [number, number];

// --- The symbol, in unit coordinates (0..1, y down) -------------------------------------------

const bubbleCenter: Vec = [0.5, 0.44];
const bubbleHalf: Vec = [0.4, 0.28];
const bubbleRadius = 0.13;
const tail: [Vec, Vec, Vec] = [
  [0.26, 0.66],
  [0.46, 0.66],
  [0.2, 0.9],
];
const dots: Vec[] = [
  [0.32, 0.44],
  [0.5, 0.44],
  [0.68, 0.44],
];

/** Negative inside the bubble (rounded box plus tail), positive outside. */
function bubble(p: Vec): number {
  const box = sdRoundBox([p[0] - bubbleCenter[0], p[1] - bubbleCenter[1]], bubbleHalf, bubbleRadius);
  return Math.min(box, sdTriangle(p, ...tail));
}

function nearestDot(p: Vec, radius: number): number {
  return Math.min(...dots.map((c) => Math.hypot(p[0] - c[0], p[1] - c[1]) - radius));
}

// --- Icons ------------------------------------------------------------------------------------

/** White bubble with accent-coloured dots, on a full-bleed accent background. */
export function drawColorIcon(size = 192): Buffer {
  // The symbol takes the middle ~60%, leaving the background around it.
  const scale = 0.6;
  return render(size, (u, v) => {
    const p: Vec = [(u - 0.5) / scale + 0.5, (v - 0.5) / scale + 0.5];
    const inside = bubble(p) <= 0 && nearestDot(p, 0.065) > 0;
    return inside ? [255, 255, 255, 255] : [ACCENT.r, ACCENT.g, ACCENT.b, 255];
  });
}

/** The bubble's outline and its dots, white on transparent. */
export function drawOutlineIcon(size = 32): Buffer {
  const stroke = 2 / size; // 2 px
  return render(size, (u, v) => {
    const p: Vec = [u, v];
    const onOutline = Math.abs(bubble(p)) <= stroke / 2;
    const onDot = nearestDot(p, 0.06) <= 0;
    return onOutline || onDot ? [255, 255, 255, 255] : [255, 255, 255, 0];
  });
}

type Rgba = [number, number, number, number];

/** Averages 4×4 samples per pixel of `shade(u, v)` and encodes the result as an RGBA PNG. */
function render(size: number, shade: (u: number, v: number) => Rgba): Buffer {
  const n = 4;
  const pixels = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0,
        g = 0,
        b = 0,
        a = 0; // prettier-ignore
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const [cr, cg, cb, ca] = shade((x + (sx + 0.5) / n) / size, (y + (sy + 0.5) / n) / size);
          // Premultiply so transparent samples do not darken the edge colour.
          r += cr * ca;
          g += cg * ca;
          b += cb * ca;
          a += ca;
        }
      }
      const i = (y * size + x) * 4;
      pixels[i] = a ? Math.round(r / a) : 0;
      pixels[i + 1] = a ? Math.round(g / a) : 0;
      pixels[i + 2] = a ? Math.round(b / a) : 0;
      pixels[i + 3] = Math.round(a / (n * n));
    }
  }
  return encodePng(size, size, pixels);
}

// --- PNG --------------------------------------------------------------------------------------

/** 8-bit RGBA, no interlace; each row prefixed with filter type 0 (none). */
export function encodePng(width: number, height: number, rgba: Buffer): Buffer {
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0;
    rgba.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: RGBA
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method
  ihdr[12] = 0; // no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

// --- Signed distance functions (after Inigo Quilez) ---------------------------------------------

function sdRoundBox(p: Vec, half: Vec, r: number): number {
  const qx = Math.abs(p[0]) - half[0] + r;
  const qy = Math.abs(p[1]) - half[1] + r;
  return Math.min(Math.max(qx, qy), 0) + Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) - r;
}

function sdTriangle(p: Vec, a: Vec, b: Vec, c: Vec): number {
  const edges: [Vec, Vec][] = [
    [a, b],
    [b, c],
    [c, a],
  ];
  const winding = Math.sign((b[0] - a[0]) * (a[1] - c[1]) - (b[1] - a[1]) * (a[0] - c[0]));
  let dist = Infinity;
  let side = Infinity;
  for (const [from, to] of edges) {
    const e: Vec = [to[0] - from[0], to[1] - from[1]];
    const w: Vec = [p[0] - from[0], p[1] - from[1]];
    const t = Math.min(Math.max((w[0] * e[0] + w[1] * e[1]) / (e[0] * e[0] + e[1] * e[1]), 0), 1);
    dist = Math.min(dist, (w[0] - e[0] * t) ** 2 + (w[1] - e[1] * t) ** 2);
    side = Math.min(side, winding * (w[0] * e[1] - w[1] * e[0]));
  }
  return -Math.sqrt(dist) * Math.sign(side);
}

if (require.main === module) {
  writeFileSync(join(__dirname, 'color.png'), drawColorIcon());
  writeFileSync(join(__dirname, 'outline.png'), drawOutlineIcon());
  console.log('wrote manifest/teams/color.png (192×192) and manifest/teams/outline.png (32×32)');
}
