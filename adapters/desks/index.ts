/**
 * The desks the bridge knows: the registry of descriptors and the types they share.
 * Adding a live-agent system = one folder under adapters/desks/ plus one line in registry.ts.
 */
export type { DeskDeps, DeskDescriptor, DeskModule, DeskRoute } from './descriptor';
export { createDesks, deskRegistry, descriptorOf, type CreatedDesk } from './registry';
