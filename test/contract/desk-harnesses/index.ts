/**
 * One conformance harness per registered desk, keyed by the registry's system names: the type
 * makes a desk added to adapters/desks/registry.ts without a harness here a compile error, and
 * desks.registry.test.ts fails at run time too. A harness runs the real desk against its far side
 * (the console's HTTP API, the vendor's simulator in test/simulators/<system>).
 */
import type { DeskSystem } from '../../../adapters/desks/registry';
import type { DeskHarness } from '../desk.contract';
import { amazonConnectConformanceHarness } from './amazon-connect';
import { consoleConformanceHarness } from './console';
import { servicenowConformanceHarness } from './servicenow';

export const conformanceHarnesses: Record<DeskSystem, () => Promise<DeskHarness>> = {
  console: consoleConformanceHarness,
  servicenow: servicenowConformanceHarness,
  'amazon-connect': amazonConnectConformanceHarness,
};
