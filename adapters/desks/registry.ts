/**
 * Every desk the bridge can run, one descriptor per folder. The config's sections, environment
 * variables and checks, the routes and metrics labels, and the conformance suite all iterate
 * this list: a desk that is listed here is wired everywhere, and nothing else names it.
 */
import { BridgeError, ErrorCode } from '../../bots/core/errors';
import { amazonConnectDescriptor } from './amazon-connect/descriptor';
import { consoleDescriptor } from './console/descriptor';
import type { DeskDeps, DeskDescriptor, DeskModule } from './descriptor';
import { servicenowDescriptor } from './servicenow/descriptor';

export const deskRegistry = [consoleDescriptor, servicenowDescriptor, amazonConnectDescriptor] as const;

/** A system name the registry knows (`console`, ...). */
export type DeskSystem = (typeof deskRegistry)[number]['name'];

export function descriptorOf(system: string): DeskDescriptor | undefined {
  return (deskRegistry as readonly DeskDescriptor[]).find((d) => d.name === system);
}

/** One desk of the config's list, its settings already validated against its system's schema. */
export interface ConfiguredDesk {
  id: string;
  system: string;
  settings: unknown;
}

export interface CreatedDesk {
  id: string;
  system: string;
  module: DeskModule;
}

/**
 * Create every configured desk. Settings were validated when the config loaded; what is left to
 * refuse here is what only the created desks know: two of them claiming one route prefix.
 */
export function createDesks(desks: readonly ConfiguredDesk[], deps: (desk: ConfiguredDesk) => DeskDeps): CreatedDesk[] {
  const created = desks.map((d) => {
    const descriptor = descriptorOf(d.system);
    if (!descriptor) throw new BridgeError(ErrorCode.ConfigInvalid, `Invalid configuration:\n  - desks: unknown system "${d.system}"`);
    return { id: d.id, system: d.system, module: descriptor.create(d.settings, deps(d)) };
  });
  const owners = new Map<string, string>();
  for (const { id, module } of created) {
    for (const route of module.routes ?? []) {
      const other = owners.get(route.prefix);
      if (other !== undefined) {
        throw new BridgeError(
          ErrorCode.ConfigInvalid,
          `Invalid configuration:\n  - desks: "${other}" and "${id}" both mount ${route.prefix}; give one of them its own path`,
        );
      }
      owners.set(route.prefix, id);
    }
  }
  return created;
}
