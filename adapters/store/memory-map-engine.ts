/**
 * The memory store's fast engine: Maps of our own, read and written synchronously, so an
 * operation is atomic on Node's single thread with nothing to queue, and costs no promise hop.
 * Entries are kept compact, because an idle chat's state stays in the heap until it expires
 * (the benchmark's memory scenario): a value as one flat string `<expires>[#<version>]|<json>`
 * (`json.ts`), a list of one item likewise, a longer list as `{ items, expires }`.
 */
import { flat, memoryExpires, memoryJson, memoryValueText, memoryVersion } from './json';
import { isList, type MemoryEngine, type MemoryEntries, type MemoryEntry, type MemoryList, type MemoryValue } from './memory-engine';

type StoredList = string | MemoryList;

export class MapMemoryEngine implements MemoryEngine, MemoryEntries {
  readonly name = 'map';
  private readonly values = new Map<string, string>();
  private readonly lists = new Map<string, StoredList>();

  atomically<T>(op: (entries: MemoryEntries) => T): T {
    return op(this);
  }

  get(key: string): MemoryEntry | undefined {
    const value = this.values.get(key);
    if (value !== undefined) return decodeValue(value);
    const list = this.lists.get(key);
    return list === undefined ? undefined : decodeList(list);
  }

  set(key: string, entry: MemoryEntry): void {
    if (isList(entry)) {
      this.values.delete(key);
      this.lists.set(key, entry.items.length === 1 ? flat(`${entry.expires}|${entry.items[0]}`) : entry);
    } else {
      this.lists.delete(key);
      this.values.set(key, memoryValueText(entry.json, entry.expires, entry.version));
    }
  }

  delete(key: string): void {
    this.values.delete(key);
    this.lists.delete(key);
  }

  *keys(): Iterable<string> {
    yield* this.values.keys();
    yield* this.lists.keys();
  }

  async storedKeys(): Promise<string[]> {
    return [...this.keys()];
  }

  async clear(): Promise<void> {
    this.values.clear();
    this.lists.clear();
  }
}

function decodeValue(text: string): MemoryValue {
  return { json: memoryJson(text), expires: memoryExpires(text), version: memoryVersion(text) };
}

function decodeList(list: StoredList): MemoryList {
  return typeof list === 'string' ? { items: [memoryJson(list)], expires: memoryExpires(list) } : list;
}
