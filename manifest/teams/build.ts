/**
 * Builds the Teams app package: manifest.json (from manifest.template.json) plus the two icons,
 * zipped at the root, ready for "Upload a custom app" or the Teams admin centre.
 *
 *   npm run manifest:teams -- --app-id <MicrosoftAppId> --teams-app-id <GUID> \
 *     --domain bot.example.com --name "Acme Support" [--version 1.0.1] [--developer "Acme IT"] [--out path.zip]
 *
 * Values come from flags, not the environment (only config/ reads process.env). Bump --version
 * for every re-upload of a changed package; keep --teams-app-id the same, or Teams sees a new app.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BridgeError, ErrorCode } from '../../bots/core/errors';
import { createZip } from './zip';

/** The template's placeholders, named as they appear in it (`{{MicrosoftAppId}}`). */
export interface TeamsManifestValues {
  /** The bot's Entra app id (MicrosoftAppId): `bots[0].botId`. */
  MicrosoftAppId: string;
  /** The Teams app's own id; generate one GUID per app and keep it. */
  TeamsAppId: string;
  /** The public host name the bot is served from (validDomains, developer URLs). */
  BotDomain: string;
  /** The short app name shown in Teams (max 30 characters). */
  AppName: string;
  Version: string;
  DeveloperName: string;
}

export const DEFAULT_OUT_FILE = join(__dirname, 'build', 'app.zip');

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const SEMVER = /^\d{1,5}\.\d{1,5}\.\d{1,5}$/;

const USAGE =
  'usage: npm run manifest:teams -- --app-id <GUID> --teams-app-id <GUID> --domain <host> --name <name> ' +
  '[--version 1.0.0] [--developer <name>] [--out <file.zip>]';

export function parseManifestArgs(argv: string[]): { values: TeamsManifestValues; outFile: string } {
  let parsed: Partial<Record<'app-id' | 'teams-app-id' | 'domain' | 'name' | 'version' | 'developer' | 'out', string>>;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        'app-id': { type: 'string' },
        'teams-app-id': { type: 'string' },
        domain: { type: 'string' },
        name: { type: 'string' },
        version: { type: 'string', default: '1.0.0' },
        developer: { type: 'string' },
        out: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new BridgeError(ErrorCode.ConfigInvalid, `${(err as Error).message}\n${USAGE}`);
  }

  const problems: string[] = [];
  const need = (flag: string, value: string | undefined): string => {
    if (!value?.trim()) problems.push(`--${flag} is required`);
    return value?.trim() ?? '';
  };
  const appId = need('app-id', parsed['app-id']);
  const teamsAppId = need('teams-app-id', parsed['teams-app-id']);
  const domain = need('domain', parsed.domain);
  const name = need('name', parsed.name);
  const version = parsed.version?.trim() ?? '1.0.0';
  const developer = parsed.developer?.trim() || name;

  if (appId && !GUID.test(appId)) problems.push(`--app-id "${appId}" is not a GUID (the bot's MicrosoftAppId)`);
  if (teamsAppId && !GUID.test(teamsAppId)) {
    problems.push(`--teams-app-id "${teamsAppId}" is not a GUID (generate one once, e.g. with uuidgen, and keep it)`);
  }
  if (domain && !HOST.test(domain)) {
    problems.push(`--domain "${domain}" must be a public host name such as bot.example.com, without https:// or a path`);
  }
  if (name.length > 30) problems.push(`--name "${name}" is ${name.length} characters; Teams allows 30`);
  if (developer.length > 32) problems.push(`--developer "${developer}" is ${developer.length} characters; Teams allows 32`);
  if (!SEMVER.test(version)) problems.push(`--version "${version}" must look like 1.0.0`);

  if (problems.length > 0) {
    throw new BridgeError(ErrorCode.ConfigInvalid, `Cannot build the Teams app package:\n  - ${problems.join('\n  - ')}\n${USAGE}`);
  }
  return {
    values: {
      MicrosoftAppId: appId.toLowerCase(),
      TeamsAppId: teamsAppId.toLowerCase(),
      BotDomain: domain.toLowerCase(),
      AppName: name,
      Version: version,
      DeveloperName: developer,
    },
    outFile: resolve(parsed.out ?? DEFAULT_OUT_FILE),
  };
}

/**
 * Fills `{{Placeholder}}` in every string of the template. Values are substituted into parsed
 * JSON, never into JSON text, so a name with quotes cannot break the document.
 */
export function renderManifest(template: unknown, values: TeamsManifestValues): unknown {
  const fill = (node: unknown): unknown => {
    if (typeof node === 'string') {
      return node.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => {
        if (!(key in values)) throw new BridgeError(ErrorCode.ConfigInvalid, `manifest template: unknown placeholder ${whole}`);
        return values[key as keyof TeamsManifestValues];
      });
    }
    if (Array.isArray(node)) return node.map(fill);
    if (node && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fill(v)]));
    }
    return node;
  };
  return fill(template);
}

export function buildTeamsAppPackage(
  values: TeamsManifestValues,
  outFile: string = DEFAULT_OUT_FILE,
): { file: string; manifest: Record<string, unknown> } {
  const template = JSON.parse(readFileSync(join(__dirname, 'manifest.template.json'), 'utf8')) as unknown;
  const manifest = renderManifest(template, values) as Record<string, unknown>;
  const zip = createZip([
    { name: 'manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8') },
    { name: 'color.png', data: readFileSync(join(__dirname, 'color.png')) },
    { name: 'outline.png', data: readFileSync(join(__dirname, 'outline.png')) },
  ]);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, zip);
  return { file: outFile, manifest };
}

if (require.main === module) {
  try {
    const { values, outFile } = parseManifestArgs(process.argv.slice(2));
    const { file } = buildTeamsAppPackage(values, outFile);
    console.log(`Teams app package written to ${file} (version ${values.Version}, bot ${values.MicrosoftAppId})`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  }
}
