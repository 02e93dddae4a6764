/**
 * The desks part of the config, composed from the desk registry: each system's `<system>:`
 * section and environment variables, the `desks:` list and the `routing:` rules. Every desk is
 * validated against its own schema here, at start-up, so a wrong key stops the bridge with the
 * rest of the config's errors instead of failing when the desk is first used.
 *
 * Two shapes, one result (`desks`, always a list):
 * - the one-desk shortcut: `desk: <system>` (DESK) with its settings under `<system>:`;
 * - the list: `desks: [{ id, system, ...that system's keys }]`, where a `<system>:` section (and
 *   so its environment variables) gives defaults for every listed desk of that system.
 */
import { z } from 'zod';
import { type ConfiguredDesk, deskRegistry, descriptorOf } from '../adapters/desks/registry';
import { deskRoutingRuleSchema } from '../bots/core/desk-routing';

type Registry = typeof deskRegistry;
type DeskSections = { [D in Registry[number] as D['name']]: D['section'] };

const systemNames = deskRegistry.map((d) => d.name);

/** `<system>:` sections, each with its own schema. */
export const deskSections = Object.fromEntries(deskRegistry.map((d) => [d.name, d.section])) as unknown as DeskSections;

/** Every desk's environment variables, landing in its `<system>:` section. */
export const deskEnvMapping: Record<string, string[]> = Object.fromEntries(
  deskRegistry.flatMap((d) => Object.entries(d.env).map(([name, path]) => [name, [d.name, ...path]])),
);

/** Variables a desk shares with other software: applied only where that desk is configured. */
export const deskSharedEnvMapping: Record<string, string[]> = Object.fromEntries(
  deskRegistry.flatMap((d) => Object.entries(d.sharedEnv ?? {}).map(([name, path]) => [name, [d.name, ...path]])),
);

/** A listed desk, checked against its own system's schema where it stands (so its errors come with the rest). */
const deskEntrySchema = z
  .object({
    /** What routing rules call it. */
    id: z.string().regex(/^[A-Za-z0-9][\w-]{0,63}$/, 'letters, digits, "_" or "-", at most 64'),
    system: z.string({ required_error: `is required: one of ${systemNames.join(', ')}` }),
  })
  .passthrough()
  .transform(({ id, system, ...keys }, ctx): ConfiguredDesk => {
    const descriptor = descriptorOf(system);
    if (!descriptor) {
      ctx.addIssue({ code: 'custom', path: ['system'], message: `one of ${systemNames.join(', ')}` });
      return z.NEVER;
    }
    const parsed = descriptor.settings.safeParse(keys);
    if (!parsed.success) {
      for (const sub of parsed.error.issues) ctx.addIssue(sub);
      return z.NEVER;
    }
    return { id, system, settings: parsed.data };
  });

export const deskChoiceSettings = {
  /** The one-desk shortcut: which system runs, its settings under `<system>:`. Default `console`. */
  desk: z.string().optional(),
  /** Several desks at once, each `{ id, system, ...its system's keys }`; the first is the default. */
  desks: z.array(deskEntrySchema).min(1, 'at least one desk').optional(),
  /** Which desk a chat goes to; the first rule that matches wins (bots/core/desk-routing.ts). */
  routing: z.array(deskRoutingRuleSchema).default([]),
};

/** Every desk that runs (the shortcut's one desk, or the list), the first being the default. */
export function resolveDesks(value: { desk?: string; desks?: ConfiguredDesk[] } & Record<string, unknown>): {
  desk: string;
  desks: ConfiguredDesk[];
} {
  if (value.desks) return { desk: value.desks[0].system, desks: value.desks };
  const system = value.desk ?? 'console';
  // A shortcut to a system without its required section has no desk; `checkDeskReferences` says so.
  const desks = descriptorOf(system) && value[system] !== undefined ? [{ id: system, system, settings: value[system] }] : [];
  return { desk: system, desks };
}

type Issue = { path: (string | number)[]; message: string };

/**
 * What no single key's schema can check: the shortcut's system and its section, desk ids used
 * once, rules naming desks and topics that exist. Read from the raw input, so these errors are
 * listed with every other wrong key rather than only once the rest is right.
 */
export function checkDeskReferences(input: unknown): Issue[] {
  const issues: Issue[] = [];
  const issue = (path: (string | number)[], message: string) => issues.push({ path, message });
  const raw = isObject(input) ? input : {};
  let ids: string[];
  if (Array.isArray(raw.desks)) {
    if (raw.desk !== undefined) issue(['desk'], 'leave it out when `desks` lists the desks (the first listed is the default)');
    ids = [];
    raw.desks.forEach((entry, i) => {
      const id = isObject(entry) ? entry.id : undefined;
      if (typeof id !== 'string') return;
      if (ids.includes(id)) issue(['desks', i, 'id'], `"${id}" is used by another desk`);
      ids.push(id);
    });
  } else {
    const system = typeof raw.desk === 'string' ? raw.desk : 'console';
    const descriptor = descriptorOf(system);
    if (!descriptor) issue(['desk'], `one of ${systemNames.join(', ')}`);
    else if (raw[system] === undefined && !descriptor.section.safeParse(undefined).data) {
      // Its section is optional in the schema: this system needs settings nobody gave.
      const hint = descriptor.missingSettingsHint ? ` (${descriptor.missingSettingsHint})` : '';
      issue(['desk'], `${system}: required when desk is "${system}"${hint}`);
    }
    ids = [system];
  }
  const known = ids.join(', ');
  const bot = isObject(raw.bot) ? raw.bot : {};
  const topics = new Set((Array.isArray(bot.topics) ? bot.topics : []).map((t) => (isObject(t) ? t.id : undefined)));
  (Array.isArray(raw.routing) ? raw.routing : []).forEach((rule, i) => {
    if (!isObject(rule)) return;
    const { desk, fallback, when } = rule;
    if (typeof desk === 'string' && !ids.includes(desk)) issue(['routing', i, 'desk'], `no desk with id "${desk}" (desks: ${known})`);
    (Array.isArray(fallback) ? fallback : []).forEach((id, j) => {
      if (typeof id !== 'string') return;
      if (!ids.includes(id)) issue(['routing', i, 'fallback', j], `no desk with id "${id}" (desks: ${known})`);
      else if (id === desk) issue(['routing', i, 'fallback', j], `"${id}" is the rule's own desk`);
    });
    const topic = isObject(when) ? when.topic : undefined;
    (Array.isArray(topic) ? topic : []).forEach((id, j) => {
      if (typeof id === 'string' && !topics.has(id)) issue(['routing', i, 'when', 'topic', j], `no topic with id "${id}" in bot.topics`);
    });
  });
  return issues;
}

/**
 * Give each listed desk its system's `<system>:` section as defaults (so its environment variables
 * feed a listed desk too), and drop those sections, which then say nothing on their own.
 * Returns how to tell, for an error under `desks.<i>`, which section key it came from.
 */
export function foldDeskSections(input: unknown): {
  input: unknown;
  sectionPathOf: (path: (string | number)[]) => (string | number)[] | undefined;
} {
  const none = { input, sectionPathOf: () => undefined };
  if (!isObject(input) || !Array.isArray(input.desks)) return none;
  const folded: Record<string, unknown> = { ...input };
  const listed = input.desks;
  folded.desks = listed.map((entry) => {
    if (!isObject(entry) || typeof entry.system !== 'string' || !descriptorOf(entry.system)) return entry;
    const section = input[entry.system];
    return isObject(section) ? deepMerge(section, entry) : entry;
  });
  for (const entry of listed)
    if (isObject(entry) && typeof entry.system === 'string' && descriptorOf(entry.system)) delete folded[entry.system];
  return {
    input: folded,
    sectionPathOf: (path) => {
      if (path[0] !== 'desks' || typeof path[1] !== 'number') return undefined;
      const entry = listed[path[1]];
      if (!isObject(entry) || typeof entry.system !== 'string' || has(entry, path.slice(2))) return undefined;
      return [entry.system, ...path.slice(2)];
    },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

function has(node: unknown, path: (string | number)[]): boolean {
  let at = node;
  for (const part of path) {
    if (!isObject(at) && !Array.isArray(at)) return false;
    if (!(part in (at as Record<string, unknown>))) return false;
    at = (at as Record<string, unknown>)[part as string];
  }
  return true;
}
