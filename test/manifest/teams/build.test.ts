import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// node's own CRC-32, so the checks do not trust the implementation under test.
import { crc32, inflateRawSync, inflateSync } from 'node:zlib';
import { isBridgeError } from '../../../bots/core/errors';
import { buildTeamsAppPackage, parseManifestArgs, renderManifest } from '../../../manifest/teams/build';
import { createZip } from '../../../manifest/teams/zip';

const APP_ID = '2f1e4a36-7d1c-4b8e-9f0a-5c3d2b1a0e9f';
const TEAMS_APP_ID = '0b7e4c1a-9d2f-4e3b-8a5c-6f1d2e3c4b5a';
const args = ['--app-id', APP_ID, '--teams-app-id', TEAMS_APP_ID, '--domain', 'bot.acme.example', '--name', 'Acme Support'];

interface ZipFile {
  name: string;
  method: number;
  data: Buffer;
}

/** Reads a ZIP the way unzip does: end record -> central directory -> each local header. */
function readZip(zip: Buffer): ZipFile[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(eocd).toBeGreaterThan(0);
  const count = zip.readUInt16LE(eocd + 10);
  const cdSize = zip.readUInt32LE(eocd + 12);
  let p = zip.readUInt32LE(eocd + 16);
  expect(p + cdSize).toBe(eocd);

  const files: ZipFile[] = [];
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(p)).toBe(0x02014b50);
    const method = zip.readUInt16LE(p + 10);
    const crc = zip.readUInt32LE(p + 16);
    const compressedSize = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLength = zip.readUInt16LE(p + 28);
    const extraLength = zip.readUInt16LE(p + 30);
    const commentLength = zip.readUInt16LE(p + 32);
    const localOffset = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLength);
    p += 46 + nameLength + extraLength + commentLength;

    expect(zip.readUInt32LE(localOffset)).toBe(0x04034b50);
    expect(zip.toString('utf8', localOffset + 30, localOffset + 30 + zip.readUInt16LE(localOffset + 26))).toBe(name);
    const start = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const raw = zip.subarray(start, start + compressedSize);
    const data = method === 8 ? inflateRawSync(raw) : Buffer.from(raw);
    expect([0, 8]).toContain(method);
    expect(data.length).toBe(size);
    expect(crc32(data)).toBe(crc);
    files.push({ name, method, data });
  }
  return files;
}

interface Png {
  width: number;
  height: number;
  colorType: number;
  pixels: Buffer;
}

function readPng(buf: Buffer): Png {
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let p = 8;
  let ihdr: Buffer | undefined;
  const idat: Buffer[] = [];
  for (;;) {
    const length = buf.readUInt32BE(p);
    const type = buf.toString('ascii', p + 4, p + 8);
    const data = buf.subarray(p + 8, p + 8 + length);
    expect(buf.readUInt32BE(p + 8 + length)).toBe(crc32(buf.subarray(p + 4, p + 8 + length)));
    if (type === 'IHDR') ihdr = data;
    if (type === 'IDAT') idat.push(data);
    p += 12 + length;
    if (type === 'IEND') break;
  }
  const width = ihdr!.readUInt32BE(0);
  const height = ihdr!.readUInt32BE(4);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4 + 1;
  expect(raw.length).toBe(stride * height);
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    expect(raw[y * stride]).toBe(0); // our encoder writes unfiltered rows
    raw.copy(pixels, y * width * 4, y * stride + 1, (y + 1) * stride);
  }
  return { width, height, colorType: ihdr![9], pixels };
}

describe('Teams app package', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'teams-manifest-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('zips manifest.json and both icons at the root', () => {
    const { values } = parseManifestArgs(args);
    const { file } = buildTeamsAppPackage(values, join(dir, 'app.zip'));
    const files = readZip(readFileSync(file));
    expect(files.map((f) => f.name)).toEqual(['manifest.json', 'color.png', 'outline.png']);

    const manifest = JSON.parse(files[0].data.toString('utf8'));
    expect(manifest.$schema).toBe('https://developer.microsoft.com/json-schemas/teams/v1.25/MicrosoftTeams.schema.json');
    expect(manifest.manifestVersion).toBe('1.25');
    expect(manifest.id).toBe(TEAMS_APP_ID);
    expect(manifest.version).toBe('1.0.0');
    expect(manifest.name).toEqual({ short: 'Acme Support', full: 'Acme Support: chat with a live agent' });
    expect(manifest.developer.websiteUrl).toBe('https://bot.acme.example/');
    expect(manifest.validDomains).toEqual(['bot.acme.example']);
    expect(manifest.permissions).toEqual(['identity', 'messageTeamMembers']);
    expect(manifest.bots).toHaveLength(1);
    expect(manifest.bots[0]).toMatchObject({
      botId: APP_ID,
      scopes: ['personal'],
      supportsFiles: true,
      isNotificationOnly: false,
    });
    const commands = manifest.bots[0].commandLists[0].commands.map((c: { title: string }) => c.title);
    expect(commands).toEqual(expect.arrayContaining(['help', 'stop chat']));
    expect(JSON.stringify(manifest)).not.toMatch(/\{\{|\}\}/);

    const color = readPng(files[1].data);
    expect([color.width, color.height, color.colorType]).toEqual([192, 192, 6]);
    const outline = readPng(files[2].data);
    expect([outline.width, outline.height, outline.colorType]).toEqual([32, 32, 6]);
  });

  it('has a fully opaque colour icon and a white-on-transparent outline icon', () => {
    const { values } = parseManifestArgs(args);
    const files = readZip(readFileSync(buildTeamsAppPackage(values, join(dir, 'icons.zip')).file));
    const color = readPng(files[1].data).pixels;
    const outline = readPng(files[2].data).pixels;
    let translucent = 0;
    for (let i = 0; i < color.length; i += 4) if (color[i + 3] !== 255) translucent++;
    expect(translucent).toBe(0);

    let transparent = 0;
    let visible = 0;
    let notWhite = 0;
    for (let i = 0; i < outline.length; i += 4) {
      if (outline[i + 3] === 0) transparent++;
      else {
        visible++;
        if (outline[i] !== 255 || outline[i + 1] !== 255 || outline[i + 2] !== 255) notWhite++;
      }
    }
    expect(transparent).toBeGreaterThan(0);
    expect(visible).toBeGreaterThan(0);
    expect(notWhite).toBe(0);
  });

  it('builds byte-identical packages from the same inputs', () => {
    const { values } = parseManifestArgs(args);
    const a = readFileSync(buildTeamsAppPackage(values, join(dir, 'a.zip')).file);
    const b = readFileSync(buildTeamsAppPackage(values, join(dir, 'b.zip')).file);
    expect(a.equals(b)).toBe(true);
  });
});

describe('parseManifestArgs', () => {
  const error = (argv: string[]): string => {
    try {
      parseManifestArgs(argv);
    } catch (e) {
      expect(isBridgeError(e, 'config_invalid')).toBe(true);
      return (e as Error).message;
    }
    throw new Error('expected an error');
  };

  it('lists every missing value at once', () => {
    const message = error([]);
    for (const flag of ['--app-id', '--teams-app-id', '--domain', '--name']) expect(message).toContain(`${flag} is required`);
  });

  it('checks formats', () => {
    const message = error([
      '--app-id',
      'not-a-guid',
      '--teams-app-id',
      '1234',
      '--domain',
      'https://bot.acme.example/api',
      '--name',
      'A name that is far too long for Teams',
      '--version',
      'v1',
    ]); // prettier-ignore
    expect(message).toMatch(/--app-id "not-a-guid" is not a GUID/);
    expect(message).toMatch(/--teams-app-id "1234" is not a GUID/);
    expect(message).toMatch(/--domain .* without https:\/\//);
    expect(message).toMatch(/--name .* Teams allows 30/);
    expect(message).toMatch(/--version "v1"/);
  });

  it('rejects unknown flags', () => {
    expect(error([...args, '--colour', 'red'])).toMatch(/colour/);
  });

  it('takes optional version, developer and output path', () => {
    const { values, outFile } = parseManifestArgs([...args, '--version', '2.3.4', '--developer', 'Acme IT', '--out', 'x/app.zip']);
    expect(values).toMatchObject({ Version: '2.3.4', DeveloperName: 'Acme IT' });
    expect(outFile).toMatch(/x\/app\.zip$/);
  });
});

describe('renderManifest', () => {
  it('substitutes into parsed JSON, so quotes in values stay data', () => {
    const { values } = parseManifestArgs(args);
    const out = renderManifest({ name: '{{AppName}}', list: ['x {{BotDomain}}'] }, { ...values, AppName: 'Acme "IT"' });
    expect(out).toEqual({ name: 'Acme "IT"', list: ['x bot.acme.example'] });
  });

  it('fails on a placeholder it does not know', () => {
    const { values } = parseManifestArgs(args);
    expect(() => renderManifest({ a: '{{Nope}}' }, values)).toThrow(/unknown placeholder \{\{Nope\}\}/);
  });
});

describe('createZip', () => {
  it('stores incompressible data and deflates the rest', () => {
    const random = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 7919) % 251));
    const files = readZip(
      createZip([
        { name: 'a.txt', data: Buffer.from('hello '.repeat(100)) },
        { name: 'b.bin', data: random },
      ]),
    ); // prettier-ignore
    expect(files.map((f) => [f.name, f.method])).toEqual([
      ['a.txt', 8],
      ['b.bin', 0],
    ]);
  });

  it('refuses unsafe or duplicate names', () => {
    expect(() => createZip([{ name: '../evil', data: Buffer.alloc(0) }])).toThrow(/invalid entry name/);
    expect(() => createZip([{ name: '/abs', data: Buffer.alloc(0) }])).toThrow(/invalid entry name/);
    expect(() =>
      createZip([
        { name: 'a', data: Buffer.alloc(0) },
        { name: 'a', data: Buffer.alloc(0) },
      ]),
    ).toThrow(/duplicate/);
  });
});
