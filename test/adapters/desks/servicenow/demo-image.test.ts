/**
 * The ServiceNow simulator's demo picture (`image` with no path) is a real PNG: a valid file a
 * browser decodes, 64×64 with a drawing in it, not a 1×1 dot.
 */
import * as zlib from 'node:zlib';
import { demoScreenshotPng } from '../../../simulators/servicenow/demo-image';
import { describeWithChromium, launchChromium } from '../../../helpers/browser';

interface Chunk {
  type: string;
  data: Buffer;
  crc: number;
  crcInput: Buffer;
}

/** The chunks of a PNG file, read by the format's rules (length, type, data, CRC). */
function chunksOf(png: Buffer): Chunk[] {
  const chunks: Chunk[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('ascii', at + 4, at + 8);
    chunks.push({
      type,
      data: png.subarray(at + 8, at + 8 + length),
      crc: png.readUInt32BE(at + 8 + length),
      crcInput: png.subarray(at + 4, at + 8 + length),
    });
    at += 12 + length;
  }
  return chunks;
}

describe('the ServiceNow simulator demo picture', () => {
  const png = demoScreenshotPng();
  const chunks = chunksOf(png);

  it('is a PNG file: signature, IHDR first, IEND last, every CRC right', () => {
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(chunks[2].crc).toBe(0xae426082); // IEND's CRC, the same in every PNG
    // node:zlib's crc32 (Node 20.15+) as an independent check of the others.
    const crc32 = (zlib as unknown as { crc32?: (b: Buffer) => number }).crc32;
    if (crc32) for (const c of chunks) expect(c.crc).toBe(crc32(c.crcInput));
  });

  it('is 64×64 RGB with a picture in it, not one colour', () => {
    const ihdr = chunks[0].data;
    expect({ width: ihdr.readUInt32BE(0), height: ihdr.readUInt32BE(4), depth: ihdr[8], colourType: ihdr[9] }).toEqual({
      width: 64,
      height: 64,
      depth: 8,
      colourType: 2,
    });
    const raw = zlib.inflateSync(chunks[1].data);
    expect(raw.length).toBe(64 * (1 + 64 * 3));
    const colours = new Set<string>();
    for (let y = 0; y < 64; y++) {
      expect(raw[y * 193]).toBe(0); // filter type none on every row
      for (let x = 0; x < 64; x++) colours.add(raw.subarray(y * 193 + 1 + x * 3, y * 193 + 4 + x * 3).toString('hex'));
    }
    expect(colours.size).toBeGreaterThanOrEqual(5);
  });
});

describeWithChromium('the demo picture in a browser', () => {
  it('decodes to a 64×64 image with the red error icon where it is drawn', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const seen = await page.evaluate(
        async (src: string) => {
          const img = new Image();
          img.src = src;
          await img.decode();
          const canvas = document.createElement('canvas');
          canvas.width = img.naturalWidth;
          canvas.height = img.naturalHeight;
          const g = canvas.getContext('2d')!;
          g.drawImage(img, 0, 0);
          const at = (x: number, y: number) => Array.from(g.getImageData(x, y, 1, 1).data.slice(0, 3));
          return { width: img.naturalWidth, height: img.naturalHeight, corner: at(1, 1), icon: at(19, 27) };
        },
        `data:image/png;base64,${demoScreenshotPng().toString('base64')}`,
      );
      expect(seen).toEqual({ width: 64, height: 64, corner: [31, 95, 209], icon: [179, 38, 30] });
    } finally {
      await browser.close();
    }
  });
});
