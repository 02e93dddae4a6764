/**
 * The README is part of the product: its configuration reference must name every key the
 * schema accepts, and its quick start must be the commands that actually exist.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { configSchema } from '../config/schema';
import { envMapping } from '../config/env';

const readme = readFileSync(join(__dirname, '../README.md'), 'utf8');
/** Integration guides linked from the README (docs/slack.md, ...) may hold their own keys. */
const docsDir = join(__dirname, '../docs');
const guides = existsSync(docsDir)
  ? readdirSync(docsDir)
      .filter((f) => f.endsWith('.md'))
      .map((f) => readFileSync(join(docsDir, f), 'utf8'))
  : [];
const documentation = [readme, ...guides].join('\n');
const pkg = JSON.parse(readFileSync(join(__dirname, '../package.json'), 'utf8')) as { scripts: Record<string, string> };

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

const serviceNowGuide = readFileSync(join(docsDir, 'servicenow.md'), 'utf8');
const simulatorCli = readFileSync(join(__dirname, 'simulators/servicenow/cli.ts'), 'utf8');

describe('README', () => {
  it('documents every configuration key', () => {
    const missing = leafKeys(configSchema).filter((key) => !documentation.includes(`\`${key}\``));
    expect(missing).toEqual([]);
  });

  it('documents every environment variable', () => {
    const missing = Object.keys(envMapping).filter((name) => !documentation.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });

  it('has a two-command quick start that installs once and uses scripts that exist', () => {
    const quickStart = /## Quick start\n[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const commands = quickStart
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter(Boolean);
    expect(commands).toEqual(['npm ci && npm start', 'npm test']); // `npm ci` once, not before each
    expect(readme).toMatch(/`npm ci` is needed once/);
    expect(pkg.scripts.start).toBeDefined();
    expect(pkg.scripts.test).toBeDefined();
    for (const [, script] of readme.matchAll(/npm run ([\w:-]+)/g)) {
      expect(pkg.scripts[script]).toBeDefined();
    }
  });

  it('starts the Agents Playground the way it works: endpoint and channel as flags, what it opens, listens on and writes', () => {
    expect(readme).toContain('npx @microsoft/m365agentsplayground -e http://127.0.0.1:3978/api/messages -c msteams');
    expect(readme).not.toMatch(/then connect it/i); // there is no connect step
    expect(readme).toContain('TEAMSAPPTESTER_BROWSER=none'); // the switch its code reads to open no browser
    expect(readme).toMatch(/all interfaces[\s\S]{0,80}56150/);
    expect(readme).toContain('`devTools/`');
  });

  it('the ServiceNow guide documents every environment variable the simulator reads', () => {
    const read = [...simulatorCli.matchAll(/process\.env\.([A-Z_]+)/g)].map((m) => m[1]);
    expect(read).toEqual(expect.arrayContaining(['SN_SIM_PORT', 'BRIDGE_WEBHOOK_URL']));
    expect(read.filter((name) => !serviceNowGuide.includes(`\`${name}\``))).toEqual([]);
  });
});
