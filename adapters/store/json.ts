/**
 * Plain JSON (de)serialization for keyv, used for memory and Redis alike.
 *
 * keyv's default serializer (`@keyv/serialize`) is JSON with extras: it turns Buffers into
 * `":base64:…"` strings and escapes strings that start with `:`. We store only JSON values (see
 * the `Store` port), so plain JSON keeps both engines identical, keeps what sits in Redis
 * readable by ordinary tools, and makes a non-JSON value fail the same way in memory as in Redis.
 * Serializing in memory too means a caller can never mutate a stored value by reference.
 */
import type { DeserializedData } from 'keyv';

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
 * The memory engine's form of keyv's `{ value, expires }`: `<expires>|<value as JSON>`. Same
 * JSON rules as Redis (so a value behaves the same in both engines), with two savings that
 * count for entries kept in process memory:
 * - no `{"value":…,"expires":…}` wrapper: about 20 bytes per key;
 * - laid out flat: V8 builds a long `JSON.stringify` result from pieces (a tree of "cons"
 *   strings) and joins them only when the string is first read, so a value written and never
 *   read again (an idle chat) would keep about 40% more heap than its text. Reading one
 *   character makes V8 join it now: a copy of the text, once.
 * Measured by the benchmark's memory scenario.
 */
export function memorySerialize<Value>(data: DeserializedData<Value>): string {
  const json = JSON.stringify(data.value);
  return flat(`${data.expires ?? ''}|${json ?? ''}`);
}

/**
 * A value written by `setVersioned` carries its version before the bar: `<expires>#<version>|<json>`.
 * `json` is the value's JSON, laid out flat.
 */
export function memoryVersionedEntry(json: string, expires: number, version?: number): string {
  return flat(version === undefined ? `${expires}|${json}` : `${expires}#${version}|${json}`);
}

/** The version of a memory-engine entry: 0 when it was not written by `setVersioned`. */
export function memoryVersion(text: string): number {
  const bar = text.indexOf('|');
  const hash = text.indexOf('#');
  return hash >= 0 && hash < bar ? Number(text.slice(hash + 1, bar)) : 0;
}

/** The JSON of a memory-engine entry's value (`memorySerialize`'s form). */
export function memoryJson(text: string): string {
  return text.slice(text.indexOf('|') + 1);
}

/** The `<expires>` part before the bar, without a version. */
function expiresPart(text: string, bar: number): number | undefined {
  const head = text.slice(0, bar);
  const hash = head.indexOf('#');
  const expires = hash >= 0 ? head.slice(0, hash) : head;
  return expires ? Number(expires) : undefined;
}

/** The expiry of a memory-engine entry, read without parsing its value. */
export function memoryExpires(text: string): number | undefined {
  const bar = text.indexOf('|');
  if (bar < 0) return (JSON.parse(text) as { expires?: number } | undefined)?.expires;
  return expiresPart(text, bar);
}

export function memoryDeserialize<Value>(text: string): DeserializedData<Value> | undefined {
  const bar = text.indexOf('|');
  if (bar < 0) return JSON.parse(text) as DeserializedData<Value>; // written as plain JSON
  const expires = expiresPart(text, bar);
  const json = text.slice(bar + 1);
  return { value: json === '' ? undefined : (JSON.parse(json) as Value), expires } as DeserializedData<Value>;
}
