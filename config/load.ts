/**
 * Loads the configuration once at start-up: defaults, then the optional file named by
 * BRIDGE_CONFIG, then environment variables. A bad configuration stops start-up with one message
 * that lists every wrong key, where it came from and what is expected.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { ZodIssue } from 'zod';
import { BridgeError, ErrorCode } from '../bots/core/errors';
import { checkDeskReferences, foldDeskSections } from './desks';
import { CONFIG_FILE_VAR, envMapping, sharedEnvMapping } from './env';
import { configSchema, type BridgeConfig, type BridgeConfigInput } from './schema';

export type Env = Record<string, string | undefined>;

export interface LoadOptions {
  /** Defaults to `process.env`: this folder is the only place that reads it. */
  env?: Env;
  readFile?: (path: string) => string;
}

export function loadConfig(options: LoadOptions = {}): BridgeConfig {
  const env = options.env ?? process.env;
  const readFile = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const filePath = env[CONFIG_FILE_VAR];
  const fromFile = filePath ? readConfigFile(filePath, readFile) : {};
  const { merged, sources } = applyEnv(fromFile, env);
  return parseConfig(merged, (path) => sources.get(path.join('.')) ?? (filePath ? `${filePath}` : 'defaults'));
}

/** Validate an already-assembled input (tests and embedding use this directly). */
export function parseConfig(input: unknown, sourceOf: (path: (string | number)[]) => string = () => 'config'): BridgeConfig {
  const folded = foldDeskSections(input);
  const result = configSchema.safeParse(folded.input);
  const references: ZodIssue[] = checkDeskReferences(folded.input).map((i) => ({ code: 'custom', ...i }));
  if (result.success && references.length === 0) return result.data;
  const issues = [...(result.success ? [] : result.error.issues), ...references];
  // A listed desk's key may have come from its system's section (an environment variable).
  const source = (path: (string | number)[]) => sourceOf(folded.sectionPathOf(path) ?? path);
  const lines = issues.map((issue) => describeIssue(issue, source));
  throw new BridgeError(ErrorCode.ConfigInvalid, `Invalid configuration:\n${lines.join('\n')}`, { details: issues });
}

function describeIssue(issue: ZodIssue, sourceOf: (path: (string | number)[]) => string): string {
  const key = issue.path.join('.') || '(root)';
  return `  - ${key} (from ${sourceOf(issue.path)}): ${issue.message}`;
}

function readConfigFile(path: string, readFile: (p: string) => string): BridgeConfigInput {
  let text: string;
  try {
    text = readFile(path);
  } catch (e) {
    throw new BridgeError(
      ErrorCode.ConfigInvalid,
      `Invalid configuration:\n  - ${CONFIG_FILE_VAR}: cannot read ${path} (${(e as Error).message})`,
    );
  }
  try {
    const value: unknown = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
    if (value === null || value === undefined) return {};
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error('the file must hold an object of settings');
    return value as BridgeConfigInput;
  } catch (e) {
    throw new BridgeError(
      ErrorCode.ConfigInvalid,
      `Invalid configuration:\n  - ${CONFIG_FILE_VAR}: ${path} is not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'}: ${(e as Error).message}`,
    );
  }
}

/** Whether a desk system is in use or has settings: its section, the `desk` shortcut, a `desks` entry. */
function deskConfigured(merged: Record<string, unknown>, system: string): boolean {
  if (typeof merged[system] === 'object' && merged[system] !== null) return true;
  if (merged.desk === system) return true;
  return (
    Array.isArray(merged.desks) &&
    merged.desks.some((d) => typeof d === 'object' && d !== null && (d as { system?: unknown }).system === system)
  );
}

/** Overlay the environment on the file, remembering which variable set which key. */
function applyEnv(base: BridgeConfigInput, env: Env): { merged: Record<string, unknown>; sources: Map<string, string> } {
  const merged = structuredClone(base) as Record<string, unknown>;
  const sources = new Map<string, string>();
  for (const [name, path] of Object.entries(envMapping)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    let node = merged;
    for (const part of path.slice(0, -1)) {
      if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[path[path.length - 1]] = value;
    sources.set(path.join('.'), `environment variable ${name}`);
  }
  for (const [name, [system, ...path]] of Object.entries(sharedEnvMapping)) {
    const value = env[name];
    if (value === undefined || value === '' || !deskConfigured(merged, system)) continue;
    if (typeof merged[system] !== 'object' || merged[system] === null) merged[system] = {};
    let node = merged[system] as Record<string, unknown>;
    for (const part of path.slice(0, -1)) {
      if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    // The config file's or the desk's own value wins over a variable other software shares.
    if (node[path[path.length - 1]] === undefined) {
      node[path[path.length - 1]] = value;
      sources.set([system, ...path].join('.'), `environment variable ${name}`);
    }
  }
  return { merged, sources };
}
