/**
 * Plain JSON (de)serialization for keyv (Redis, and the memory store's keyv engine), and the
 * memory store's map engine's compact value form.
 *
 * keyv's default serializer (`@keyv/serialize`) is JSON with extras: it turns Buffers into
 * `":base64:…"` strings and escapes strings that start with `:`. We store only JSON values (see
 * the `Store` port), so plain JSON keeps both engines identical, keeps what sits in Redis
 * readable by ordinary tools, and makes a non-JSON value fail the same way in memory as in Redis.
 * Serializing in memory too means a caller can never mutate a stored value by reference.
 */
import type { DeserializedData } from 'keyv';

/** The value a successful `claim` stores (both engines): `get` of a claimed key resolves `true`. */
export const CLAIMED = true;

export function jsonSerialize<Value>(data: DeserializedData<Value>): string {
  return JSON.stringify(data);
}

export function jsonDeserialize<Value>(text: string): DeserializedData<Value> | undefined {
  return JSON.parse(text) as DeserializedData<Value> | undefined;
}

/** Makes V8 join a string built from pieces into one flat string (see `memorySerialize`). */
export function flat(text: string): string {
  if (text.length > 0) text.charCodeAt(0);
  return text;
}

/** JSON of `value`, laid out flat for keeping in memory (see `memorySerialize`). */
export function jsonFlat(value: unknown): string | undefined {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : flat(text);
}

/**
 * The map engine's form of a value (`memory-map-engine.ts`): `<expires>|<json>`, or
 * `<expires>#<version>|<json>` when written by `setVersioned`. Two savings that count for
 * entries kept in process memory:
 * - one string, no `{ json, expires, version }` object around it: about 60 bytes per key;
 * - laid out flat: V8 builds a long `JSON.stringify` result from pieces (a tree of "cons"
 *   strings) and joins them only when the string is first read, so a value written and never
 *   read again (an idle chat) would keep about 40% more heap than its text. Reading one
 *   character makes V8 join it now: a copy of the text, once.
 * Measured by the benchmark's memory scenario.
 */
export function memoryValueText(json: string, expires: number, version = 0): string {
  return flat(version === 0 ? `${expires}|${json}` : `${expires}#${version}|${json}`);
}

/** The version of a map-engine value: 0 when it was not written by `setVersioned`. */
export function memoryVersion(text: string): number {
  const bar = text.indexOf('|');
  const hash = text.indexOf('#');
  return hash >= 0 && hash < bar ? Number(text.slice(hash + 1, bar)) : 0;
}

/** The JSON after the bar of a map-engine entry. */
export function memoryJson(text: string): string {
  return text.slice(text.indexOf('|') + 1);
}

/** The `<expires>` before the bar (and before a version) of a map-engine entry. */
export function memoryExpires(text: string): number {
  const bar = text.indexOf('|');
  const hash = text.indexOf('#');
  return Number(text.slice(0, hash >= 0 && hash < bar ? hash : bar));
}
