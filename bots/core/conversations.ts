/**
 * How the broker keeps a user's conversation in the Store: its keys, the stored shape (smaller
 * than the `Conversation` the core works on) and the outbox that rides along with it.
 *
 * The outbox: when an event's transition has effects, the new state is written together with
 * those effects (`outbox`) before they run, and written again without them once they ran, in
 * the same atomic step that removes the event from the user's inbox (`Store.settleHead`). A
 * process that takes over a user's inbox after a crash finds the outbox of the event at the
 * inbox's head and runs its effects instead of applying the event a second time.
 */
import type { Conversation, Effect } from './session';
import type { Store, SurfaceKind } from './ports';
import type { CoreSettings } from './settings';

/** Store keys, in one place so their shapes and lifetimes are easy to audit. */
export const keys = {
  /**
   * A user's `Conversation`, stored without what its key already says (the user key: the
   * surface and the profile id; see `storedConversation`).
   */
  conversation: (key: string) => `conv:${key}`,
  /** Open session id -> user key; removed when the session ends, so start-up sweeps stay small. */
  session: (sessionId: string) => `session:${sessionId}`,
  dedupe: (id: string) => `dedupe:${id}`,
  /** A user's events not yet applied, oldest first (see `inbox.ts`). Gone once empty. */
  inbox: (key: string) => `inbox:${key}`,
  /** The lease of the process applying a user's inbox. */
  owner: (key: string) => `owner:${key}`,
};

/** Slack retries for ~5 minutes and Teams for less; keep marks well past that. */
export const DEDUPE_TTL_MS = 15 * 60 * 1000;

/** Effects of the event `entry`, written with the state they start from, not yet known to have run. */
export interface Outbox {
  entry: string;
  effects: Effect[];
  /** What the entry reports to whoever waits for it (a broadcast's outcome). */
  outcome?: unknown;
}

export function retentionMs(settings: CoreSettings): number {
  return settings.retentionDays * 24 * 60 * 60 * 1000;
}

/** A user's stored conversation, completed from its key, and its outbox if one is pending. */
export async function loadConversation(store: Store, key: string): Promise<{ conv: Conversation; outbox?: Outbox } | undefined> {
  return conversationFrom(key, await store.get(keys.conversation(key)));
}

/** A stored conversation (as `storedConversation` wrote it, or undefined) made whole again. */
export function conversationFrom(key: string, value: unknown): { conv: Conversation; outbox?: Outbox } | undefined {
  const stored = value as (Conversation & { outbox?: Outbox }) | undefined;
  if (!stored) return undefined;
  const { outbox, ...conv } = stored;
  const colon = key.indexOf(':');
  conv.key = key;
  conv.surface = key.slice(0, colon) as SurfaceKind;
  conv.profile = { ...conv.profile, id: key.slice(colon + 1) };
  conv.history ??= [];
  if (conv.session?.phase === 'queued') conv.session.queuedNoticeSent ??= false;
  return outbox ? { conv, outbox } : { conv };
}

/**
 * A conversation as stored: without its key, surface and profile id, which are the store key's
 * (`conv:<surface>:<profile id>`), an empty history or a `queuedNoticeSent` still false.
 * `loadConversation` puts them back. (Memory per open session counts: see bench/README.md.)
 */
export function storedConversation(conv: Conversation, outbox?: Outbox): object {
  const { key: _key, surface: _surface, profile, history, session, ...rest } = conv;
  const { id: _id, ...named } = profile;
  return {
    ...rest,
    profile: named,
    ...(history.length > 0 ? { history } : {}),
    ...(session
      ? { session: session.phase === 'queued' && !session.queuedNoticeSent ? { ...session, queuedNoticeSent: undefined } : session }
      : {}),
    ...(outbox ? { outbox } : {}),
  };
}

export function sessionIdOf(conv: Conversation | undefined): string | undefined {
  const s = conv?.session;
  return s && s.phase !== 'collecting' ? s.sessionId : undefined;
}

/** Users the bot has a conversation with (broadcasts to "all"): one per stored conversation. */
export async function knownUsers(store: Store): Promise<{ surface: SurfaceKind; user: string }[]> {
  const surfaces = new Set<SurfaceKind>(['teams', 'slack', 'web']);
  return (await store.keys(keys.conversation(''))).flatMap((key) => {
    const [, surface, ...rest] = key.split(':');
    return surfaces.has(surface as SurfaceKind) ? [{ surface: surface as SurfaceKind, user: rest.join(':') }] : [];
  });
}
