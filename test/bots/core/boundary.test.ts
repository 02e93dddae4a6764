/**
 * "bots/core imports no SDK, no express, no vendor client": every import in bots/core must be
 * relative ('./x'), a `node:` built-in, or `zod`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '../../..');
const coreDir = join(root, 'bots', 'core');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** Module specifiers of static imports/exports, dynamic import() and require(). */
function specifiers(source: string): string[] {
  // Drop comments so examples in doc comments do not count.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[\w*\s{},$]*?\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) found.push(m[1]);
  return found;
}

const allowed = (spec: string) => spec.startsWith('./') || spec.startsWith('node:') || spec === 'zod';

describe('bots/core boundary', () => {
  const files = tsFiles(coreDir);

  it('finds the core files', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it('imports only relative modules, node: built-ins and zod', () => {
    const offending = files.flatMap((f) =>
      specifiers(readFileSync(f, 'utf8'))
        .filter((s) => !allowed(s))
        .map((s) => `${relative(root, f)}: '${s}'`),
    );
    expect(offending).toEqual([]);
  });

  it('the scanner itself catches the shapes that matter', () => {
    const sample = [
      "import { x } from 'express';",
      "import type { Y } from '@slack/bolt';",
      "import * as bb from 'botbuilder';",
      "import 'pino';",
      "export { z } from '../teams/x';",
      "const k = require('keyv');",
      "const m = await import('axios');",
      "import { ok } from './ok';",
      "import { c } from 'node:crypto';",
      "// import nope from 'commented-out';",
      'import {\n  a,\n  b,\n} from "ioredis";',
    ].join('\n');
    expect(
      specifiers(sample)
        .filter((s) => !allowed(s))
        .sort(),
    ).toEqual(['express', '@slack/bolt', 'botbuilder', 'pino', '../teams/x', 'keyv', 'axios', 'ioredis'].sort());
  });
});
