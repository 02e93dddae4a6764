/**
 * What the broker keeps in a user's inbox (`inbox.ts`): the user's events, the desk's, queue
 * timeouts and broadcast deliveries, each with an id (first, see `Store.appendIfNew`) and, when
 * someone waits for its outcome, the process to tell (`reply`).
 */
import type { BroadcastMessage } from './broadcast-message';
import type { UserEvent } from './events';
import type { DeskEvent } from './ports';
import type { CoreEvent } from './session';

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
