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
