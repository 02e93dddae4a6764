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

const deskEntrySchema = z
  .object({
    /** What routing rules call it. */
    id: z.string().regex(/^[A-Za-z0-9][\w-]{0,63}$/, 'letters, digits, "_" or "-", at most 64'),
    system: z.string({ required_error: `is required: one of ${systemNames.join(', ')}` }),
  })
  .passthrough();

export const deskChoiceSettings = {
  /** The one-desk shortcut: which system runs, its settings under `<system>:`. Default `console`. */
  desk: z.string().optional(),
  /** Several desks at once, each `{ id, system, ...its system's keys }`; the first is the default. */
  desks: z.array(deskEntrySchema).min(1, 'at least one desk').optional(),
  /** Which desk a chat goes to; the first rule that matches wins (bots/core/desk-routing.ts). */
  routing: z.array(deskRoutingRuleSchema).default([]),
};

interface DeskChoice {
  desk?: string;
  desks?: z.infer<typeof deskEntrySchema>[];
  routing: z.infer<typeof deskRoutingRuleSchema>[];
  bot: { topics: { id: string }[] };
}

export interface ResolvedDesks {
  /** The default desk's system (the shortcut's `desk`). */
  desk: string;
  /** Every desk that runs, settings validated; the first is the default. */
  desks: ConfiguredDesk[];
}

/** Validate the desks and rules against each other and the registry; issues go to `ctx`. */
export function resolveDesks(value: DeskChoice & Record<string, unknown>, ctx: z.RefinementCtx): ResolvedDesks {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const desks: ConfiguredDesk[] = [];
  if (value.desks) {
    if (value.desk !== undefined) issue(['desk'], 'leave it out when `desks` lists the desks (the first listed is the default)');
    const seen = new Set<string>();
    value.desks.forEach(({ id, system, ...keys }, i) => {
      if (seen.has(id)) issue(['desks', i, 'id'], `"${id}" is used by another desk`);
      seen.add(id);
      const descriptor = descriptorOf(system);
      if (!descriptor) {
        issue(['desks', i, 'system'], `one of ${systemNames.join(', ')}`);
        return;
      }
      const parsed = descriptor.settings.safeParse(keys);
      if (!parsed.success) {
        for (const sub of parsed.error.issues) ctx.addIssue({ ...sub, path: ['desks', i, ...sub.path] });
        return;
      }
      desks.push({ id, system, settings: parsed.data });
    });
  } else {
    const system = value.desk ?? 'console';
    const descriptor = descriptorOf(system);
    if (!descriptor) {
      issue(['desk'], `one of ${systemNames.join(', ')}`);
    } else if (value[system] === undefined) {
      // An optional section: this system needs settings nobody gave.
      issue(
        ['desk'],
        `${system}: required when desk is "${system}"${descriptor.missingSettingsHint ? ` (${descriptor.missingSettingsHint})` : ''}`,
      );
    } else {
      desks.push({ id: system, system, settings: value[system] });
    }
  }
  checkRules(value, new Set(value.desks ? value.desks.map((d) => d.id) : desks.map((d) => d.id)), issue);
  return { desk: desks[0]?.system ?? value.desk ?? 'console', desks };
}

function checkRules(value: DeskChoice, ids: Set<string>, issue: (path: (string | number)[], message: string) => void): void {
  const known = [...ids].join(', ');
  const topics = new Set(value.bot.topics.map((t) => t.id));
  value.routing.forEach((rule, i) => {
    if (!ids.has(rule.desk)) issue(['routing', i, 'desk'], `no desk with id "${rule.desk}" (desks: ${known})`);
    rule.fallback.forEach((id, j) => {
      if (!ids.has(id)) issue(['routing', i, 'fallback', j], `no desk with id "${id}" (desks: ${known})`);
      else if (id === rule.desk) issue(['routing', i, 'fallback', j], `"${id}" is the rule's own desk`);
    });
    (rule.when?.topic ?? []).forEach((id, j) => {
      if (!topics.has(id)) issue(['routing', i, 'when', 'topic', j], `no topic with id "${id}" in bot.topics`);
    });
  });
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
