/**
 * Builders for core tests: settings, users, conversations in each phase, user/desk/internal
 * events and a transition context with a deterministic clock and ids.
 */
import type { UserContext, UserEvent } from '../../bots/core/events';
import { userKey } from '../../bots/core/events';
import type { AgentInfo, DeskEvent, FileRef, OutboundContent, SentRef, SurfaceKind } from '../../bots/core/ports';
import {
  newConversation,
  type CoreEvent,
  type Conversation,
  type Effect,
  type InternalEvent,
  type Session,
  type TransitionContext,
} from '../../bots/core/session';
import { coreSettingsSchema, type CoreSettings } from '../../bots/core/settings';

export const T0 = Date.UTC(2025, 0, 15, 17, 0, 0); // Wed 2025-01-15 09:00 PT

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** Settings through the real schema, so defaults are the shipped ones. */
export function settings(overrides: DeepPartial<CoreSettings> | Record<string, unknown> = {}): CoreSettings {
  return coreSettingsSchema.parse(overrides);
}

export function user(over: { surface?: SurfaceKind; id?: string; name?: string; locale?: string; timeZone?: string } = {}): UserContext {
  const surface = over.surface ?? 'teams';
  const id = over.id ?? 'u1';
  return {
    surface,
    profile: {
      id,
      name: over.name ?? 'Ada Lovelace',
      locale: 'locale' in over ? over.locale : 'en-US',
      timeZone: 'timeZone' in over ? over.timeZone : 'America/Los_Angeles',
    },
    address: { conversationId: `${surface}-conv-${id}` },
  };
}

let seq = 0;
function nextDedupe(): string[] {
  seq += 1;
  return [`d-${seq}`];
}

export const agents = {
  beth: { id: 'a-beth', name: 'Beth', avatarUrl: 'https://cdn.example.com/beth.png' } as AgentInfo,
  sam: { id: 'a-sam', name: 'Sam' } as AgentInfo,
};

// ------------------------------------------------------------------------------------ user events

type UEOpts = { user?: UserContext; dedupeKeys?: string[] };

export const ue = {
  message(text: string, o: UEOpts & { messageId?: string; files?: FileRef[] } = {}): UserEvent {
    const dedupeKeys = o.dedupeKeys ?? nextDedupe();
    return {
      type: 'message',
      user: o.user ?? user(),
      dedupeKeys,
      messageId: o.messageId ?? `m-${dedupeKeys[0]}`,
      text,
      ...(o.files ? { files: o.files } : {}),
    };
  },
  startChat(offerId: string, o: UEOpts & { source?: SentRef } = {}): UserEvent {
    return { type: 'startChat', user: o.user ?? user(), dedupeKeys: o.dedupeKeys ?? nextDedupe(), offerId, source: o.source };
  },
  submitDetails(offerId: string, description: string, o: UEOpts & { topicId?: string; source?: SentRef } = {}): UserEvent {
    return {
      type: 'submitDetails',
      user: o.user ?? user(),
      dedupeKeys: o.dedupeKeys ?? nextDedupe(),
      offerId,
      description,
      topicId: o.topicId,
      source: o.source,
    };
  },
  cancel(sessionId: string, o: UEOpts & { source?: SentRef } = {}): UserEvent {
    return { type: 'cancel', user: o.user ?? user(), dedupeKeys: o.dedupeKeys ?? nextDedupe(), sessionId, source: o.source };
  },
  typing(o: UEOpts = {}): UserEvent {
    return { type: 'typing', user: o.user ?? user(), dedupeKeys: o.dedupeKeys ?? nextDedupe() };
  },
};

// ------------------------------------------------------------------------------------ desk events

export const de = {
  queued: (sessionId: string, estimatedWaitSeconds?: number): DeskEvent => ({ type: 'queued', sessionId, estimatedWaitSeconds }),
  joined: (sessionId: string, agent: AgentInfo = agents.beth): DeskEvent => ({ type: 'agentJoined', sessionId, agent }),
  left: (sessionId: string, agent: AgentInfo = agents.beth): DeskEvent => ({ type: 'agentLeft', sessionId, agent }),
  message: (sessionId: string, text: string, agent: AgentInfo = agents.beth, messageId = `dm-${text}`): DeskEvent => ({
    type: 'agentMessage',
    sessionId,
    agent,
    messageId,
    text,
  }),
  system: (sessionId: string, text: string, messageId = `sys-${text}`): DeskEvent => ({
    type: 'systemMessage',
    sessionId,
    messageId,
    text,
  }),
  typing: (sessionId: string, on = true): DeskEvent => ({ type: 'typing', sessionId, agent: agents.beth, on }),
  ended: (sessionId: string, reason: 'agent_ended' | 'queue_timeout' | 'desk_error', message?: string): DeskEvent => ({
    type: 'ended',
    sessionId,
    reason,
    message,
  }),
};

export const ie = {
  cardSent: (slot: 'offer' | 'details' | 'waiting', id: string, ref: SentRef): InternalEvent => ({ type: 'cardSent', slot, id, ref }),
  queueTimeout: (sessionId: string): InternalEvent => ({ type: 'queueTimeout', sessionId }),
  deskOpenFailed: (sessionId: string): InternalEvent => ({ type: 'deskOpenFailed', sessionId }),
  deskSendFailed: (sessionId: string, messageId = 'm-x'): InternalEvent => ({ type: 'deskSendFailed', sessionId, messageId }),
};

export const fromUser = (event: UserEvent): CoreEvent => ({ source: 'user', event });
export const fromDesk = (event: DeskEvent): CoreEvent => ({ source: 'desk', event });
export const internal = (event: InternalEvent): CoreEvent => ({ source: 'internal', event });

// ------------------------------------------------------------------------------------ context

export function ctx(over: { now?: number; settings?: CoreSettings; ids?: string[] } = {}): TransitionContext {
  const ids = [...(over.ids ?? [])];
  let n = 0;
  return {
    now: over.now ?? T0,
    settings: over.settings ?? settings(),
    newId: () => ids.shift() ?? `id-${++n}`,
  };
}

// ------------------------------------------------------------------------------------ conversations

export const SESSION = 's-1';
export const OFFER = 'o-1';
export const refs = {
  offer: { ts: 'offer-ref' } as SentRef,
  details: { ts: 'details-ref' } as SentRef,
  waiting: { ts: 'waiting-ref' } as SentRef,
};

export function conversation(over: Partial<Conversation> = {}, u: UserContext = user()): Conversation {
  return { ...newConversation(userKey(u.surface, u.profile.id), u), ...over };
}

export function collecting(over: { topicRequired?: boolean; withRef?: boolean } = {}): Conversation {
  const session: Session = {
    phase: 'collecting',
    offerId: OFFER,
    details: {
      view: {
        type: 'details',
        offerId: OFFER,
        prompt: 'Before I connect you, tell us what you need help with.',
        topics: over.topicRequired ? [{ id: 'net', label: 'Network' }] : [],
        topicRequired: over.topicRequired ?? false,
      },
      ref: over.withRef === false ? undefined : refs.details,
    },
    startedAt: T0 - 1000,
  };
  return conversation({
    history: [
      { from: 'user', text: 'talk to an agent', at: T0 - 3000 },
      { from: 'bot', text: 'I can connect you with a live agent.', at: T0 - 3000 },
    ],
    session,
  });
}

export function queued(over: { noticeSent?: boolean; withRef?: boolean; deadline?: number } = {}): Conversation {
  return conversation({
    session: {
      phase: 'queued',
      sessionId: SESSION,
      request: { title: 'VPN is down', details: 'VPN is down' },
      waiting: {
        view: { type: 'waiting', sessionId: SESSION, title: 'VPN is down' },
        ref: over.withRef === false ? undefined : refs.waiting,
      },
      queuedNoticeSent: over.noticeSent ?? false,
      deadline: over.deadline ?? T0 + 120_000,
      startedAt: T0 - 5000,
    },
  });
}

export function live(agentList: AgentInfo[] = [agents.beth]): Conversation {
  return conversation({
    session: {
      phase: 'live',
      sessionId: SESSION,
      request: { title: 'VPN is down', details: 'VPN is down' },
      waiting: { view: { type: 'waiting', sessionId: SESSION, title: 'VPN is down' }, ref: refs.waiting },
      agents: agentList,
      startedAt: T0 - 5000,
      joinedAt: T0 - 1000,
    },
  });
}

// ------------------------------------------------------------------------------------ effect helpers

export const effectTypes = (effects: Effect[]) => effects.map((e) => e.type);

/** What the user reads from `send` effects: plain texts, and the words of agent cards (notices with an avatar). */
export function texts(effects: Effect[]): string[] {
  return effects.flatMap((e) => {
    if (e.type !== 'send') return [];
    if (e.content.kind === 'text') return [e.content.text];
    return e.content.view.type === 'agentMessage' ? [e.content.view.text] : [];
  });
}

export function sentCards(effects: Effect[]) {
  return effects.flatMap((e) => (e.type === 'send' && e.content.kind === 'card' ? [e.content.view] : []));
}

export function findEffect<T extends Effect['type']>(effects: Effect[], type: T): Extract<Effect, { type: T }> | undefined {
  return effects.find((e) => e.type === type) as Extract<Effect, { type: T }> | undefined;
}

export function contentText(c: OutboundContent): string {
  return c.kind === 'text' ? c.text : JSON.stringify(c.view);
}
