/**
 * The README is part of the product: its configuration reference must name every key the
 * schema accepts, and its quick start must be the commands that actually exist.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { configSchema } from '../../config/schema';
import { envMapping } from '../../config/env';

const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
/** Integration guides linked from the README (docs/slack.md, ...) may hold their own keys. */
const docsDir = join(__dirname, '../../docs');
const guides = existsSync(docsDir)
  ? readdirSync(docsDir).filter((f) => f.endsWith('.md')).map((f) => readFileSync(join(docsDir, f), 'utf8'))
  : [];
const documentation = [readme, ...guides].join('\n');
const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { scripts: Record<string, string> };

/** Leaf keys of the schema, stopping at records and arrays; `bot.messages` and `cards` are documented as groups. */
function leafKeys(schema: z.ZodTypeAny, path: string[] = []): string[] {
  let t: z.ZodTypeAny = schema;
  for (;;) {
    if (t instanceof z.ZodDefault || t instanceof z.ZodOptional || t instanceof z.ZodNullable) t = t._def.innerType;
    else if (t instanceof z.ZodEffects) t = t._def.schema;
    else break;
  }
  const joined = path.join('.');
  if (joined === 'bot.messages' || joined === 'cards') return [`${joined}.*`];
  if (joined === 'bot.offer.hours.weekly') return [joined];
  if (t instanceof z.ZodObject) {
    return Object.entries(t.shape as Record<string, z.ZodTypeAny>).flatMap(([k, v]) => leafKeys(v, [...path, k]));
  }
  return [joined];
}

describe('README', () => {
  it('documents every configuration key', () => {
    const missing = leafKeys(configSchema).filter((key) => !documentation.includes(`\`${key}\``));
    expect(missing).toEqual([]);
  });

  it('documents every environment variable', () => {
    const missing = Object.keys(envMapping).filter((name) => !documentation.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });

  it('has a two-command quick start that uses scripts that exist', () => {
    expect(readme).toMatch(/npm ci && npm start/);
    expect(readme).toMatch(/npm ci && npm test/);
    expect(pkg.scripts.start).toBeDefined();
    expect(pkg.scripts.test).toBeDefined();
    for (const [, script] of readme.matchAll(/npm run ([\w:-]+)/g)) {
      expect(pkg.scripts[script]).toBeDefined();
    }
  });
});
