/**
 * Bounds on free-form JSON: how deeply it nests and how large it is, checked before anything is
 * done with it. A body's size is already bounded by its door's byte limit, but JSON nested a few
 * thousand levels deep fits in a few kilobytes and makes every later `JSON.stringify` (storing
 * it, logging it) overflow the stack: a broadcast whose `data` nested 5,000 levels answered 500.
 *
 * The limits (documented in the README, "Limits on what the bridge accepts"):
 * - every JSON request body: at most `BODY_MAX_DEPTH` levels (a Bot Framework activity with an
 *   Adaptive Card nests about 15);
 * - free-form fields the bridge keeps (a broadcast action's `data`): `FREE_FORM_BOUNDS`.
 *
 * The walk is iterative (no recursion to overflow) and stops at the first bound passed.
 */
import { z } from 'zod';

export interface JsonBounds {
  /** Nesting levels of objects and arrays; a flat object is 1, a plain value 0. */
  maxDepth: number;
  /** Size of the value written as JSON, in UTF-8 bytes (counted as if written without spaces). */
  maxBytes?: number;
}

export const BODY_MAX_DEPTH = 64;
export const FREE_FORM_BOUNDS: Required<JsonBounds> = { maxDepth: 16, maxBytes: 8 * 1024 };

/** What is wrong, in words (`nested more than 16 levels deep`), or undefined when within bounds. */
export function checkJsonBounds(value: unknown, bounds: JsonBounds): string | undefined {
  const { maxDepth } = bounds;
  const maxBytes = bounds.maxBytes;
  // Parallel stacks rather than an object per value: this runs on every body of the busy doors.
  const values: unknown[] = [value];
  const depths: number[] = [0];
  let bytes = 0;
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop() ?? 0; // the stacks grow and shrink together
    if (v !== null && typeof v === 'object') {
      if (depth + 1 > maxDepth) return `nested more than ${maxDepth} levels deep`;
      const entries = Array.isArray(v) ? v : Object.values(v);
      for (const entry of entries) {
        values.push(entry);
        depths.push(depth + 1);
      }
      if (maxBytes === undefined) continue;
      bytes += 2 + Math.max(entries.length - 1, 0); // brackets and commas
      if (!Array.isArray(v)) for (const key of Object.keys(v)) bytes += Buffer.byteLength(key) + 3; // "key":
    } else if (maxBytes === undefined) continue;
    else if (typeof v === 'string') bytes += Buffer.byteLength(v) + 2;
    else bytes += String(v).length; // numbers, booleans, null
    if (bytes > maxBytes) return `larger than ${formatSize(maxBytes)} as JSON`;
  }
  return undefined;
}

/** A zod schema for a free-form JSON field: any value present, within `bounds`. */
export function boundedJson(bounds: JsonBounds = FREE_FORM_BOUNDS) {
  return z
    .unknown()
    .refine((value) => value !== undefined, 'required')
    .superRefine((value, ctx) => {
      const problem = value === undefined ? undefined : checkJsonBounds(value, bounds);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must not be ${problem}` });
    });
}

function formatSize(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KB` : `${bytes} bytes`;
}
