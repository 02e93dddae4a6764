/**
 * The in-memory `Store` console tests use: the core tests' `MemoryStore` (a Map with TTLs against
 * an injectable clock, JSON round-tripped like Redis would, with `ttls` recording each write's
 * TTL for retention checks), under the name the console tests know it by.
 */
import { MemoryStore } from './core-memory-store';

export class ConsoleMemoryStore extends MemoryStore {}
