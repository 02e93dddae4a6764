/**
 * The shared Desk suite over every desk in the registry: a new desk joins it by being
 * registered, and cannot be registered without a harness (desk-harnesses/index.ts).
 */
import { deskRegistry } from '../../adapters/desks/registry';
import { describeDeskConformance } from './desk.contract';
import { conformanceHarnesses } from './desk-harnesses';

describe('every registered desk has a conformance harness', () => {
  it.each(deskRegistry.map((d) => d.name))('%s', (name) => {
    expect(typeof (conformanceHarnesses as Record<string, unknown>)[name]).toBe('function');
  });
});

for (const { name } of deskRegistry) {
  describeDeskConformance(name, conformanceHarnesses[name]);
}
