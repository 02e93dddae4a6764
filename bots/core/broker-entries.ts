/**
 * What the broker keeps in a user's inbox (`inbox.ts`): the user's events, the desk's, queue
 * timeouts and broadcast deliveries, each with an id (first, see `Store.appendIfNew`) and, when
 * someone waits for its outcome, the process to tell (`reply`).
 */
import type { BroadcastMessage } from './broadcast-message';
import type { UserEvent } from './events';
import type { DeskEvent, FileRef } from './ports';
import type { CoreEvent, Effect } from './session';

/** What an inbox holds: `id` first (see `Store.appendIfNew`). */
export type Entry =
  | { id: string; reply?: string; kind: 'user'; event: UserEvent }
  | { id: string; reply?: string; kind: 'desk'; event: DeskEvent; mark?: string }
  | { id: string; reply?: string; kind: 'timeout'; sessionId: string }
  | { id: string; reply?: string; kind: 'broadcast'; broadcastId: string; message: BroadcastMessage; disabledNote: string };

/** The core event an entry stands for (a broadcast is applied its own way). */
export function coreEvent(entry: Exclude<Entry, { kind: 'broadcast' }>): CoreEvent {
  switch (entry.kind) {
    case 'user':
      return { source: 'user', event: entry.event };
    case 'desk':
      return { source: 'desk', event: entry.event };
    case 'timeout':
      return { source: 'internal', event: { type: 'queueTimeout', sessionId: entry.sessionId } };
  }
}

/** A file's bytes as the Store keeps them in an entry: JSON has no bytes, so base64. */
type PortableFile = FileRef & { contentBase64?: string };

function mapFiles<T extends { files?: FileRef[] }>(holder: T, change: (file: PortableFile) => PortableFile): T {
  return holder.files?.length ? { ...holder, files: holder.files.map(change) } : holder;
}

/** The entry as it can be stored: files' bytes (an agent file from a desk) as base64. */
export function portable(entry: Entry): Entry {
  if (entry.kind !== 'user' && entry.kind !== 'desk') return entry;
  const event = entry.event as { files?: FileRef[] };
  if (!event.files?.some((f) => f.content)) return entry;
  const encoded = mapFiles(event, ({ content, ...f }) => (content ? { ...f, contentBase64: Buffer.from(content).toString('base64') } : f));
  return { ...entry, event: encoded } as Entry;
}

/** The entry as it was posted (see `portable`). */
export function restored(entry: Entry): Entry {
  if (entry.kind !== 'user' && entry.kind !== 'desk') return entry;
  const event = entry.event as { files?: PortableFile[] };
  if (!event.files?.some((f) => f.contentBase64 !== undefined)) return entry;
  const decoded = mapFiles(event, ({ contentBase64, ...f }) =>
    contentBase64 === undefined ? f : { ...f, content: Buffer.from(contentBase64, 'base64') },
  );
  return { ...entry, event: decoded } as Entry;
}

/**
 * Effects as the outbox keeps them: without files' bytes. A file that has them here lives in the
 * vault (its URL), where the effect finds them again (`FileVault.materialize`).
 */
export function withoutBytes(effects: Effect[]): Effect[] {
  const strip = ({ content: _bytes, ...f }: FileRef): FileRef => f;
  return effects.map((e) => {
    if (e.type === 'send' && e.content.kind === 'text' && e.content.files?.length) return { ...e, content: mapFiles(e.content, strip) };
    if (e.type === 'deskSend' && e.message.files?.length) return { ...e, message: mapFiles(e.message, strip) };
    return e;
  });
}
