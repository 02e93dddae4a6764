/**
 * The pure session life cycle, tested against the spec (not against what the code does).
 * Phases: none, collecting, queued, live. Events: user, desk, internal.
 */
import { transition, type Conversation, type CoreEvent, type Effect, type TransitionResult } from '../../../bots/core/session';
import type { CoreSettings } from '../../../bots/core/settings';
import {
  agents,
  collecting,
  conversation,
  ctx,
  de,
  effectTypes,
  findEffect,
  fromDesk,
  fromUser,
  ie,
  internal,
  live,
  OFFER,
  queued,
  refs,
  SESSION,
  sentCards,
  settings,
  T0,
  texts,
  ue,
} from '../../helpers/core-builders';

const S = settings();
const M = S.messages;

function run(state: Conversation, event: CoreEvent, o: { settings?: CoreSettings; now?: number; ids?: string[] } = {}): TransitionResult {
  return transition(state, event, ctx({ ids: ['new-1', 'new-2', 'new-3'], ...o }));
}
const phaseOf = (c: Conversation) => c.session?.phase ?? 'none';

type Row = {
  name: string;
  state: () => Conversation;
  event: CoreEvent;
  settings?: CoreSettings;
  phase: 'none' | 'collecting' | 'queued' | 'live';
  effects: Effect['type'][];
  says?: string[];
  check?: (r: TransitionResult, before: Conversation) => void;
};

function runRow(row: Row) {
  const before = row.state();
  const r = run(before, row.event, { settings: row.settings });
  expect(phaseOf(r.state)).toBe(row.phase);
  expect(effectTypes(r.effects)).toEqual(row.effects);
  if (row.says) expect(texts(r.effects)).toEqual(row.says);
  row.check?.(r, before);
}

const none = () => conversation();
const described = () => conversation({ lastUtterance: { text: 'My VPN drops every 5 minutes', at: T0 - 60_000 } });

// =============================================================================== user messages

describe('user message × phase', () => {
  const rows: Row[] = [
    {
      name: 'none × agent request → offer (no description remembered)',
      state: none,
      event: fromUser(ue.message('I need to talk to an agent')),
      phase: 'none',
      effects: ['offer'],
      check: (r) => {
        expect(findEffect(r.effects, 'offer')!.message).toBe(M.offer);
        expect(r.state.lastUtterance).toBeUndefined();
        expect(r.state.offer?.view.offerId).toBe('new-1');
      },
    },
    {
      name: 'none × agent request, other case → offer',
      state: none,
      event: fromUser(ue.message('TALK TO AN AGENT!')),
      phase: 'none',
      effects: ['offer'],
    },
    {
      name: 'none × configured phrase of several words → offer anywhere in the message',
      state: none,
      event: fromUser(ue.message('Ich möchte einen MITARBEITER SPRECHEN, bitte')),
      settings: settings({ agentRequestPhrases: ['mitarbeiter sprechen'] }),
      phase: 'none',
      effects: ['offer'],
      check: (r) => expect(findEffect(r.effects, 'offer')!.message).toBe(M.offer),
    },
    {
      name: 'none × configured one-word phrase standing alone → offer',
      state: none,
      event: fromUser(ue.message('Mitarbeiter!')),
      settings: settings({ agentRequestPhrases: ['mitarbeiter'] }),
      phase: 'none',
      effects: ['offer'],
      check: (r) => expect(findEffect(r.effects, 'offer')!.message).toBe(M.offer),
    },
    {
      name: 'none × something the bot cannot help with → offer with cannotHelp, remembered as description',
      state: none,
      event: fromUser(ue.message('My VPN drops every 5 minutes')),
      phase: 'none',
      effects: ['offer'],
      check: (r) => {
        expect(findEffect(r.effects, 'offer')!.message).toContain(M.cannotHelp);
        expect(r.state.lastUtterance?.text).toBe('My VPN drops every 5 minutes');
      },
    },
    {
      name: 'none × "  STOP CHAT " → nothing to stop, no desk effect',
      state: none,
      event: fromUser(ue.message('  STOP CHAT ')),
      phase: 'none',
      effects: ['send'],
    },
    {
      name: 'none × "stop chat please" is NOT a stop → treated as an utterance (offer)',
      state: none,
      event: fromUser(ue.message('stop chat please')),
      phase: 'none',
      effects: ['offer'],
    },
    {
      name: 'collecting × "  STOP CHAT " → cancelled, details card disabled',
      state: () => collecting(),
      event: fromUser(ue.message('  STOP CHAT ')),
      phase: 'none',
      effects: ['update', 'send'],
      says: [M.userCancelled],
      check: (r) => expect(findEffect(r.effects, 'update')!.ref).toEqual(refs.details),
    },
    {
      name: 'collecting × "stop chat please" is not a stop (no cancel message)',
      state: () => collecting(),
      event: fromUser(ue.message('stop chat please')),
      phase: 'queued',
      effects: ['update', 'send', 'startTimer', 'deskOpen'],
      check: (r) => expect(texts(r.effects)).not.toContain(M.userCancelled),
    },
    {
      name: 'collecting × typed description (no topic needed) → queued with it as title',
      state: () => collecting(),
      event: fromUser(ue.message('Outlook keeps crashing')),
      phase: 'queued',
      effects: ['update', 'send', 'startTimer', 'deskOpen'],
      check: (r) => expect(findEffect(r.effects, 'deskOpen')!.request.title).toBe('Outlook keeps crashing'),
    },
    {
      name: 'collecting (topic required) × typed text → not queued without a topic, pointed to the form',
      state: () => collecting({ topicRequired: true }),
      event: fromUser(ue.message('Outlook keeps crashing')),
      settings: settings({ topics: [{ id: 'net', label: 'Network' }] }),
      phase: 'collecting',
      effects: ['send'],
      says: [M.formOpen],
    },
    {
      name: 'collecting × asking for an agent again → pointed to the open form, no second offer card',
      state: () => collecting(),
      event: fromUser(ue.message('talk to an agent')),
      phase: 'collecting',
      effects: ['send'],
      says: [M.formOpen],
      check: (r) => expect(r.state.offer).toBeUndefined(),
    },
    {
      name: 'queued × "  STOP CHAT " → ends: desk told, timer cancelled, waiting card disabled, closing message',
      state: () => queued(),
      event: fromUser(ue.message('  STOP CHAT ')),
      phase: 'none',
      effects: ['deskEnd', 'cancelTimer', 'update', 'send'],
      check: (r) => {
        expect(findEffect(r.effects, 'deskEnd')!.sessionId).toBe(SESSION);
        expect(['user_cancelled', 'user_stopped']).toContain(findEffect(r.effects, 'deskEnd')!.reason);
        expect(findEffect(r.effects, 'update')!.ref).toEqual(refs.waiting);
        expect(texts(r.effects)).toHaveLength(1);
      },
    },
    {
      name: 'queued × "stop chat please" → kept for the agent + notice once',
      state: () => queued(),
      event: fromUser(ue.message('stop chat please', { messageId: 'm-7' })),
      phase: 'queued',
      effects: ['deskSend', 'send'],
      says: [M.queuedNotice],
      check: (r) => {
        const send = findEffect(r.effects, 'deskSend')!;
        expect(send.sessionId).toBe(SESSION);
        expect(send.message).toMatchObject({ messageId: 'm-7', text: 'stop chat please' });
        expect(r.state.session).toMatchObject({ queuedNoticeSent: true });
      },
    },
    {
      name: 'queued (notice already sent) × message → only deskSend',
      state: () => queued({ noticeSent: true }),
      event: fromUser(ue.message('one more thing')),
      phase: 'queued',
      effects: ['deskSend'],
    },
    {
      name: 'queued × "talk to an agent" → still relayed, no second offer',
      state: () => queued({ noticeSent: true }),
      event: fromUser(ue.message('talk to an agent')),
      phase: 'queued',
      effects: ['deskSend'],
    },
    {
      name: 'live × "  STOP CHAT " → ends with user_stopped, desk told, waiting card "Chat ended", user told',
      state: () => live(),
      event: fromUser(ue.message('  STOP CHAT ')),
      phase: 'none',
      effects: ['deskEnd', 'update', 'send'],
      says: [M.userEnded],
      check: (r) => {
        expect(findEffect(r.effects, 'deskEnd')).toEqual({ type: 'deskEnd', sessionId: SESSION, reason: 'user_stopped' });
        expect(findEffect(r.effects, 'update')).toMatchObject({
          ref: refs.waiting,
          content: { view: { type: 'waiting', status: { text: 'Chat ended' } } },
        });
      },
    },
    {
      name: 'live × "Stop chat" → stop',
      state: () => live(),
      event: fromUser(ue.message('Stop chat')),
      phase: 'none',
      effects: ['deskEnd', 'update', 'send'],
    },
    {
      name: 'live × "stop chat please" → relayed',
      state: () => live(),
      event: fromUser(ue.message('stop chat please')),
      phase: 'live',
      effects: ['deskSend'],
    },
    {
      name: 'live × "stop  chat" (inner spaces) → relayed (exact phrase only)',
      state: () => live(),
      event: fromUser(ue.message('stop  chat')),
      phase: 'live',
      effects: ['deskSend'],
    },
    {
      name: 'live × configured stop phrase "END CHAT" → stop',
      state: () => live(),
      event: fromUser(ue.message(' END CHAT ')),
      settings: settings({ stopPhrases: ['end chat', 'bye agent'] }),
      phase: 'none',
      effects: ['deskEnd', 'update', 'send'],
    },
    {
      name: 'live × "stop chat" when not in configured list → relayed',
      state: () => live(),
      event: fromUser(ue.message('stop chat')),
      settings: settings({ stopPhrases: ['end chat'] }),
      phase: 'live',
      effects: ['deskSend'],
    },
    {
      name: 'live × message with files → relayed with files',
      state: () => live(),
      event: fromUser(ue.message('', { files: [{ name: 'a.png', contentType: 'image/png', url: 'https://f/a.png' }] })),
      phase: 'live',
      effects: ['deskSend'],
      check: (r) => expect(findEffect(r.effects, 'deskSend')!.message.files).toHaveLength(1),
    },
  ];
  it.each(rows)('$name', runRow);

  it('queued: the "agent will see them" notice is said exactly once over several messages', () => {
    let state = queued();
    const all: Effect[] = [];
    for (const t of ['a', 'b', 'c']) {
      const r = run(state, fromUser(ue.message(t)));
      state = r.state;
      all.push(...r.effects);
    }
    expect(effectTypes(all).filter((t) => t === 'deskSend')).toHaveLength(3);
    expect(texts(all)).toEqual([M.queuedNotice]);
  });

  it('bot-mode messages become history (user and bot)', () => {
    const r = run(none(), fromUser(ue.message('My VPN drops')));
    expect(r.state.history.map((h) => h.from)).toEqual(['user', 'bot']);
  });
});

// =============================================================================== startChat

describe('startChat × phase', () => {
  const rows: Row[] = [
    {
      name: 'none, nothing described → details card (description required, no topic when none configured)',
      state: () => conversation({ offer: { view: { offerId: OFFER, message: M.offer }, ref: refs.offer } }),
      event: fromUser(ue.startChat(OFFER, { source: refs.offer })),
      phase: 'collecting',
      effects: ['update', 'send'],
      check: (r) => {
        const [view] = sentCards(r.effects);
        expect(view).toMatchObject({ type: 'details', offerId: OFFER, topics: [], topicRequired: false });
        // the earlier offer card's buttons are disabled by updating that message
        const upd = findEffect(r.effects, 'update')!;
        expect(upd.ref).toEqual(refs.offer);
        expect(upd.content).toMatchObject({ kind: 'card', view: { type: 'offer', showButton: false } });
        expect((upd.content as any).view.status).toBeDefined();
        expect(findEffect(r.effects, 'send')!.track).toEqual({ slot: 'details', id: OFFER });
      },
    },
    {
      name: 'none, topics configured → details card with required topic',
      state: none,
      event: fromUser(ue.startChat(OFFER)),
      settings: settings({
        topics: [
          { id: 'net', label: 'Network' },
          { id: 'hw', label: 'Hardware' },
        ],
      }),
      phase: 'collecting',
      effects: ['send'],
      check: (r) =>
        expect(sentCards(r.effects)[0]).toMatchObject({
          topicRequired: true,
          topics: [
            { id: 'net', label: 'Network' },
            { id: 'hw', label: 'Hardware' },
          ],
        }),
    },
    {
      name: 'none, already described → queued with the last utterance (no details card)',
      state: described,
      event: fromUser(ue.startChat(OFFER, { source: refs.offer })),
      phase: 'queued',
      effects: ['update', 'send', 'startTimer', 'deskOpen'],
      check: (r) => {
        const open = findEffect(r.effects, 'deskOpen')!.request;
        expect(open.title).toBe('My VPN drops every 5 minutes');
        expect(open.details).toBe('My VPN drops every 5 minutes');
        expect(open.sessionId).toBe('new-1');
        expect(sentCards(r.effects)[0]).toMatchObject({ type: 'waiting', sessionId: 'new-1' });
        expect(findEffect(r.effects, 'startTimer')).toEqual({ type: 'startTimer', sessionId: 'new-1', at: T0 + 120_000 });
      },
    },
    {
      name: 'none, described, custom queue timeout → deadline follows config',
      state: described,
      event: fromUser(ue.startChat(OFFER)),
      settings: settings({ queueTimeoutSeconds: 30 }),
      phase: 'queued',
      effects: ['send', 'startTimer', 'deskOpen'],
      check: (r) => expect(findEffect(r.effects, 'startTimer')!.at).toBe(T0 + 30_000),
    },
    {
      name: 'collecting → no second details card',
      state: () => collecting(),
      event: fromUser(ue.startChat(OFFER)),
      phase: 'collecting',
      effects: ['send'],
      check: (r) => expect(sentCards(r.effects)).toHaveLength(0),
    },
    {
      name: 'queued → second Start says a chat is open, does not queue twice',
      state: () => queued(),
      event: fromUser(ue.startChat('o-2')),
      phase: 'queued',
      effects: ['send'],
      says: [M.alreadyOpen],
      check: (r, before) => expect(r.state).toEqual(before),
    },
    {
      name: 'live → second Start says a chat is open',
      state: () => live(),
      event: fromUser(ue.startChat('o-2')),
      phase: 'live',
      effects: ['send'],
      says: [M.alreadyOpen],
    },
  ];
  it.each(rows)('$name', runRow);

  it('the waiting card is sent before the desk is asked, and tracked so Cancel can disable it', () => {
    const r = run(described(), fromUser(ue.startChat(OFFER)));
    const send = r.effects.find((e) => e.type === 'send' && e.content.kind === 'card')!;
    expect(send).toMatchObject({ track: { slot: 'waiting', id: 'new-1' } });
  });

  it('BUG: a blank message is not a description: Start afterwards must ask for details', () => {
    // "   " (or a card-only / sticker message) is "anything the bot cannot help with" and gets an
    // offer — but it is not a description. Spec 3: description is required.
    const r1 = run(none(), fromUser(ue.message('   ')));
    const r2 = run(r1.state, fromUser(ue.startChat(r1.state.offer!.view.offerId)));
    expect(findEffect(r2.effects, 'deskOpen')).toBeUndefined();
    expect(phaseOf(r2.state)).toBe('collecting');
  });
});

// =============================================================================== submitDetails

describe('submitDetails × phase', () => {
  const topics = settings({ topics: [{ id: 'net', label: 'Network' }] });
  const rows: Row[] = [
    {
      name: 'collecting × valid → queued; details card disabled, waiting card, timer, deskOpen',
      state: () => collecting(),
      event: fromUser(ue.submitDetails(OFFER, '  Printer on 3rd floor jams\nsince Monday  ')),
      phase: 'queued',
      effects: ['update', 'send', 'startTimer', 'deskOpen'],
      check: (r) => {
        expect(findEffect(r.effects, 'update')!.ref).toEqual(refs.details);
        const req = findEffect(r.effects, 'deskOpen')!.request;
        expect(req.title).toBe('Printer on 3rd floor jams');
        expect(req.details).toContain('since Monday');
        expect(req.topic).toBeUndefined();
      },
    },
    {
      name: 'collecting × empty description → stays, asks again, no desk',
      state: () => collecting(),
      event: fromUser(ue.submitDetails(OFFER, '   ')),
      phase: 'collecting',
      effects: ['send'],
    },
    {
      name: 'collecting (topics configured) × missing topic → stays, asks for a topic',
      state: () => collecting({ topicRequired: true }),
      event: fromUser(ue.submitDetails(OFFER, 'Wifi is slow')),
      settings: topics,
      phase: 'collecting',
      effects: ['send'],
    },
    {
      name: 'collecting (topics configured) × unknown topic id → stays',
      state: () => collecting({ topicRequired: true }),
      event: fromUser(ue.submitDetails(OFFER, 'Wifi is slow', { topicId: 'nope' })),
      settings: topics,
      phase: 'collecting',
      effects: ['send'],
    },
    {
      name: 'collecting (topics configured) × valid topic → deskOpen carries the topic',
      state: () => collecting({ topicRequired: true }),
      event: fromUser(ue.submitDetails(OFFER, 'Wifi is slow', { topicId: 'net' })),
      settings: topics,
      phase: 'queued',
      effects: ['update', 'send', 'startTimer', 'deskOpen'],
      check: (r) => expect(findEffect(r.effects, 'deskOpen')!.request.topic).toEqual({ id: 'net', label: 'Network' }),
    },
    {
      name: 'collecting × stale offerId → stale card message, state unchanged',
      state: () => collecting(),
      event: fromUser(ue.submitDetails('o-old', 'Wifi is slow', { source: { ts: 'old' } })),
      phase: 'collecting',
      effects: ['update', 'send'],
      says: [M.staleCard],
      check: (r, before) => expect(r.state).toEqual(before),
    },
    {
      name: 'none × submit → stale',
      state: none,
      event: fromUser(ue.submitDetails(OFFER, 'Wifi is slow')),
      phase: 'none',
      effects: ['send'],
      says: [M.staleCard],
    },
    {
      name: 'queued × submit → already open',
      state: () => queued(),
      event: fromUser(ue.submitDetails(OFFER, 'Wifi is slow')),
      phase: 'queued',
      effects: ['send'],
      says: [M.alreadyOpen],
    },
    {
      name: 'live × submit → already open',
      state: () => live(),
      event: fromUser(ue.submitDetails(OFFER, 'Wifi is slow')),
      phase: 'live',
      effects: ['send'],
      says: [M.alreadyOpen],
    },
  ];
  it.each(rows)('$name', runRow);
});

// =============================================================================== cancel / typing

describe('cancel and user typing × phase', () => {
  const rows: Row[] = [
    {
      name: 'queued × cancel(right id) → ends, desk told (user_cancelled), card disabled',
      state: () => queued(),
      event: fromUser(ue.cancel(SESSION, { source: refs.waiting })),
      phase: 'none',
      effects: ['deskEnd', 'cancelTimer', 'update', 'send'],
      says: [M.userCancelled],
      check: (r) => expect(findEffect(r.effects, 'deskEnd')).toEqual({ type: 'deskEnd', sessionId: SESSION, reason: 'user_cancelled' }),
    },
    {
      name: 'queued × cancel(wrong id) → stale, session kept, desk not told',
      state: () => queued(),
      event: fromUser(ue.cancel('s-old')),
      phase: 'queued',
      effects: ['send'],
      says: [M.staleCard],
    },
    {
      name: 'live × cancel(right id) → ends, desk told, waiting card "Chat ended"',
      state: () => live(),
      event: fromUser(ue.cancel(SESSION)),
      phase: 'none',
      effects: ['deskEnd', 'update', 'send'],
      says: [M.userEnded],
    },
    {
      name: 'none × cancel → stale',
      state: none,
      event: fromUser(ue.cancel(SESSION)),
      phase: 'none',
      effects: ['send'],
      says: [M.staleCard],
    },
    {
      name: 'collecting × cancel → stale',
      state: () => collecting(),
      event: fromUser(ue.cancel(SESSION)),
      phase: 'collecting',
      effects: ['send'],
    },
    { name: 'live × typing → deskTyping', state: () => live(), event: fromUser(ue.typing()), phase: 'live', effects: ['deskTyping'] },
    { name: 'queued × typing → nothing', state: () => queued(), event: fromUser(ue.typing()), phase: 'queued', effects: [] },
    { name: 'collecting × typing → nothing', state: () => collecting(), event: fromUser(ue.typing()), phase: 'collecting', effects: [] },
    { name: 'none × typing → nothing', state: none, event: fromUser(ue.typing()), phase: 'none', effects: [] },
  ];
  it.each(rows)('$name', runRow);
});

// =============================================================================== desk events

describe('desk events × phase', () => {
  const rows: Row[] = [
    {
      name: 'queued × queued(with wait) → waiting card updated with the estimate',
      state: () => queued(),
      event: fromDesk(de.queued(SESSION, 90)),
      phase: 'queued',
      effects: ['update'],
      check: (r) => {
        const upd = findEffect(r.effects, 'update')!;
        expect(upd.ref).toEqual(refs.waiting);
        expect(upd.content).toMatchObject({ kind: 'card', view: { type: 'waiting', estimatedWaitSeconds: 90 } });
      },
    },
    {
      name: 'queued × queued(no wait) → nothing',
      state: () => queued(),
      event: fromDesk(de.queued(SESSION)),
      phase: 'queued',
      effects: [],
    },
    { name: 'live × queued → nothing', state: () => live(), event: fromDesk(de.queued(SESSION, 30)), phase: 'live', effects: [] },
    {
      name: 'queued × agentJoined → live; timer cancelled, waiting card disabled, "Beth joined the chat."',
      state: () => queued(),
      event: fromDesk(de.joined(SESSION, agents.beth)),
      phase: 'live',
      effects: ['cancelTimer', 'update', 'send'],
      says: ['Beth joined the chat.'],
      check: (r) => expect(r.state.session).toMatchObject({ agents: [agents.beth] }),
    },
    {
      name: 'live × second agent joins → both kept, "Sam joined the chat."',
      state: () => live([agents.beth]),
      event: fromDesk(de.joined(SESSION, agents.sam)),
      phase: 'live',
      effects: ['send'],
      says: ['Sam joined the chat.'],
      check: (r) => expect(r.state.session).toMatchObject({ agents: [agents.beth, agents.sam] }),
    },
    {
      name: 'live × same agent joins twice → nothing',
      state: () => live([agents.beth]),
      event: fromDesk(de.joined(SESSION, agents.beth)),
      phase: 'live',
      effects: [],
    },
    {
      name: 'live × agentLeft (one of two) → "Sam left the chat.", still live',
      state: () => live([agents.beth, agents.sam]),
      event: fromDesk(de.left(SESSION, agents.sam)),
      phase: 'live',
      effects: ['send'],
      says: ['Sam left the chat.'],
      check: (r) => expect(r.state.session).toMatchObject({ agents: [agents.beth] }),
    },
    {
      name: 'live × agentLeft (unknown agent) → nothing',
      state: () => live(),
      event: fromDesk(de.left(SESSION, agents.sam)),
      phase: 'live',
      effects: [],
    },
    { name: 'queued × agentLeft → nothing', state: () => queued(), event: fromDesk(de.left(SESSION)), phase: 'queued', effects: [] },
    {
      name: 'live × agentMessage → attributed to the agent (prefix style: text + from)',
      state: () => live(),
      event: fromDesk(de.message(SESSION, 'Have you tried restarting?')),
      phase: 'live',
      effects: ['send'],
      check: (r) =>
        expect(findEffect(r.effects, 'send')!.content).toEqual({
          kind: 'text',
          text: 'Have you tried restarting?',
          from: agents.beth,
          files: undefined,
        }),
    },
    {
      name: 'live × agentMessage, card style → agentMessage card with avatar',
      state: () => live(),
      event: fromDesk(de.message(SESSION, 'Hello')),
      settings: settings({ attribution: { style: 'card' } }),
      phase: 'live',
      effects: ['send'],
      check: (r) =>
        expect(findEffect(r.effects, 'send')!.content).toEqual({
          kind: 'card',
          view: { type: 'agentMessage', agent: agents.beth, text: 'Hello' },
        }),
    },
    {
      name: 'live × agentMessage, showAvatars=false → no avatar leaks',
      state: () => live(),
      event: fromDesk(de.message(SESSION, 'Hello')),
      settings: settings({ attribution: { style: 'card', showAvatars: false } }),
      phase: 'live',
      effects: ['send'],
      check: (r) => expect(JSON.stringify(r.effects)).not.toContain('beth.png'),
    },
    {
      name: 'queued × agentMessage before any join → implicit join, then the attributed message',
      state: () => queued(),
      event: fromDesk(de.message(SESSION, 'Hi, Beth here')),
      phase: 'live',
      effects: ['cancelTimer', 'update', 'send', 'send'],
      check: (r) => {
        const sends = r.effects.filter((e) => e.type === 'send') as Extract<Effect, { type: 'send' }>[];
        // Beth has an avatar and avatars are on: the join notice is a card showing her.
        expect(sends[0].content).toEqual({
          kind: 'card',
          view: { type: 'agentMessage', agent: agents.beth, text: 'Beth joined the chat.' },
        });
        expect(sends[1].content).toMatchObject({ kind: 'text', text: 'Hi, Beth here', from: { name: 'Beth' } });
      },
    },
    {
      name: 'live(Beth) × message from Sam (no join yet) → Sam joins, message attributed to Sam',
      state: () => live([agents.beth]),
      event: fromDesk(de.message(SESSION, 'Sam here, taking over', agents.sam)),
      phase: 'live',
      effects: ['send', 'send'],
      check: (r) => {
        const sends = r.effects.filter((e) => e.type === 'send') as Extract<Effect, { type: 'send' }>[];
        expect(sends[1].content).toMatchObject({ from: { id: 'a-sam', name: 'Sam' } });
        expect(r.state.session).toMatchObject({ agents: [agents.beth, agents.sam] });
      },
    },
    {
      name: 'live × systemMessage → shown without attribution',
      state: () => live(),
      event: fromDesk(de.system(SESSION, 'Chat transferred to Tier 2')),
      phase: 'live',
      effects: ['send'],
      check: (r) => expect(findEffect(r.effects, 'send')!.content).toEqual({ kind: 'text', text: 'Chat transferred to Tier 2' }),
    },
    {
      name: 'queued × systemMessage → shown without attribution',
      state: () => queued(),
      event: fromDesk(de.system(SESSION, 'All agents are busy')),
      phase: 'queued',
      effects: ['send'],
      says: ['All agents are busy'],
    },
    {
      name: 'live × typing on → userTyping',
      state: () => live(),
      event: fromDesk(de.typing(SESSION, true)),
      phase: 'live',
      effects: ['userTyping'],
    },
    { name: 'live × typing off → nothing', state: () => live(), event: fromDesk(de.typing(SESSION, false)), phase: 'live', effects: [] },
    { name: 'queued × typing → nothing', state: () => queued(), event: fromDesk(de.typing(SESSION, true)), phase: 'queued', effects: [] },
    {
      name: 'live × ended(agent_ended) → user told, desk not told back, "Connected to Beth" card now "Chat ended by the agent"',
      state: () => live(),
      event: fromDesk(de.ended(SESSION, 'agent_ended')),
      phase: 'none',
      effects: ['update', 'send'],
      says: [M.agentEnded],
      check: (r) =>
        expect(findEffect(r.effects, 'update')).toMatchObject({
          ref: refs.waiting,
          content: { view: { type: 'waiting', status: { text: 'Chat ended by the agent' } } },
        }),
    },
    {
      name: 'queued × ended(agent_ended) → timer cancelled, waiting card disabled, user told',
      state: () => queued(),
      event: fromDesk(de.ended(SESSION, 'agent_ended')),
      phase: 'none',
      effects: ['cancelTimer', 'update', 'send'],
    },
    {
      name: 'queued × ended(queue_timeout) → queue timeout message, desk not told back',
      state: () => queued(),
      event: fromDesk(de.ended(SESSION, 'queue_timeout')),
      phase: 'none',
      effects: ['cancelTimer', 'update', 'send'],
      says: [M.queueTimeout],
    },
    {
      name: 'live × ended(desk_error) → desk error message, waiting card updated',
      state: () => live(),
      event: fromDesk(de.ended(SESSION, 'desk_error')),
      phase: 'none',
      effects: ['update', 'send'],
      says: [M.deskError],
    },
  ];
  it.each(rows)('$name', runRow);

  // Events for an unknown / ended session change nothing, in every phase.
  const phases: [string, () => Conversation][] = [
    ['none', none],
    ['collecting', () => collecting()],
    ['queued', () => queued()],
    ['live', () => live()],
  ];
  const foreign = 's-unknown';
  const deskEvents = [
    de.queued(foreign, 30),
    de.joined(foreign),
    de.left(foreign),
    de.message(foreign, 'hi'),
    de.system(foreign, 'sys'),
    de.typing(foreign),
    de.ended(foreign, 'agent_ended'),
    de.ended(foreign, 'queue_timeout'),
    de.ended(foreign, 'desk_error'),
  ];
  const cases = phases.flatMap(([p, mk]) => deskEvents.map((e) => [p, e.type === 'ended' ? `ended(${e.reason})` : e.type, mk, e] as const));
  it.each(cases)('%s × %s for an unknown session → unchanged, no effects', (_p, _t, mk, e) => {
    const before = mk();
    const r = run(before, fromDesk(e));
    expect(r.effects).toEqual([]);
    expect(r.state).toEqual(before);
  });
});

// =============================================================================== internal events

describe('internal events × phase', () => {
  const rows: Row[] = [
    {
      name: 'queued × queueTimeout → ends; desk told (queue_timeout), card disabled, message',
      state: () => queued(),
      event: internal(ie.queueTimeout(SESSION)),
      phase: 'none',
      effects: ['deskEnd', 'cancelTimer', 'update', 'send'],
      says: [M.queueTimeout],
      check: (r) => expect(findEffect(r.effects, 'deskEnd')).toEqual({ type: 'deskEnd', sessionId: SESSION, reason: 'queue_timeout' }),
    },
    {
      name: 'queued × queueTimeout, configured message → that message',
      state: () => queued(),
      event: internal(ie.queueTimeout(SESSION)),
      settings: settings({ messages: { queueTimeout: 'Nobody is free. File a ticket at https://it.example.com' } }),
      phase: 'none',
      effects: ['deskEnd', 'cancelTimer', 'update', 'send'],
      says: ['Nobody is free. File a ticket at https://it.example.com'],
    },
    {
      name: 'live × queueTimeout (accept won) → nothing',
      state: () => live(),
      event: internal(ie.queueTimeout(SESSION)),
      phase: 'live',
      effects: [],
    },
    {
      name: 'queued × queueTimeout(other id) → nothing',
      state: () => queued(),
      event: internal(ie.queueTimeout('s-old')),
      phase: 'queued',
      effects: [],
    },
    { name: 'none × queueTimeout → nothing', state: none, event: internal(ie.queueTimeout(SESSION)), phase: 'none', effects: [] },
    {
      name: 'queued × deskOpenFailed → ends with the desk error message (never silence), desk not told',
      state: () => queued(),
      event: internal(ie.deskOpenFailed(SESSION)),
      phase: 'none',
      effects: ['cancelTimer', 'update', 'send'],
      says: [M.deskError],
    },
    {
      name: 'live × deskOpenFailed → nothing',
      state: () => live(),
      event: internal(ie.deskOpenFailed(SESSION)),
      phase: 'live',
      effects: [],
    },
    { name: 'none × deskOpenFailed → nothing', state: none, event: internal(ie.deskOpenFailed(SESSION)), phase: 'none', effects: [] },
    {
      name: 'live × deskSendFailed → user told it was not delivered',
      state: () => live(),
      event: internal(ie.deskSendFailed(SESSION)),
      phase: 'live',
      effects: ['send'],
      says: [M.notDelivered],
    },
    {
      name: 'queued × deskSendFailed → user told it was not delivered',
      state: () => queued(),
      event: internal(ie.deskSendFailed(SESSION)),
      phase: 'queued',
      effects: ['send'],
      says: [M.notDelivered],
    },
    { name: 'none × deskSendFailed → nothing', state: none, event: internal(ie.deskSendFailed(SESSION)), phase: 'none', effects: [] },
    {
      name: 'none × cardSent(offer) → ref recorded on the offer',
      state: () => conversation({ offer: { view: { offerId: OFFER, message: 'x' } } }),
      event: internal(ie.cardSent('offer', OFFER, refs.offer)),
      phase: 'none',
      effects: [],
      check: (r) => expect(r.state.offer?.ref).toEqual(refs.offer),
    },
    {
      name: 'collecting × cardSent(details) → ref recorded',
      state: () => collecting({ withRef: false }),
      event: internal(ie.cardSent('details', OFFER, refs.details)),
      phase: 'collecting',
      effects: [],
      check: (r) => expect(r.state.session).toMatchObject({ details: { ref: refs.details } }),
    },
    {
      name: 'queued × cardSent(waiting) → ref recorded',
      state: () => queued({ withRef: false }),
      event: internal(ie.cardSent('waiting', SESSION, refs.waiting)),
      phase: 'queued',
      effects: [],
      check: (r) => expect(r.state.session).toMatchObject({ waiting: { ref: refs.waiting } }),
    },
    {
      name: 'queued × cardSent(waiting, other id) → unchanged',
      state: () => queued({ withRef: false }),
      event: internal(ie.cardSent('waiting', 's-old', refs.waiting)),
      phase: 'queued',
      effects: [],
      check: (r, before) => expect(r.state).toEqual(before),
    },
  ];
  it.each(rows)('$name', runRow);
});

// =============================================================================== races and odd ones

describe('races and odd sequences', () => {
  it('agent ends while the user types: the message after "ended" goes back to the bot (offer, not deskSend)', () => {
    const ended = run(live(), fromDesk(de.ended(SESSION, 'agent_ended')));
    const r = run(ended.state, fromUser(ue.message('wait, one more question about my laptop')));
    expect(effectTypes(r.effects)).toEqual(['offer']);
    expect(r.state.session).toBeUndefined();
  });

  it('accept first, then timeout → the timeout changes nothing', () => {
    const joined = run(queued(), fromDesk(de.joined(SESSION)));
    expect(effectTypes(joined.effects)).toContain('cancelTimer');
    const r = run(joined.state, internal(ie.queueTimeout(SESSION)));
    expect(r.effects).toEqual([]);
    expect(phaseOf(r.state)).toBe('live');
  });

  it('timeout first, then accept → the accept is ignored', () => {
    const t = run(queued(), internal(ie.queueTimeout(SESSION)));
    expect(phaseOf(t.state)).toBe('none');
    const r = run(t.state, fromDesk(de.joined(SESSION)));
    expect(r.effects).toEqual([]);
    expect(r.state).toEqual(t.state);
  });

  it('stop while queued, then the desk reports a join → ignored', () => {
    const s = run(queued(), fromUser(ue.message('stop chat')));
    const r = run(s.state, fromDesk(de.joined(SESSION)));
    expect(r.effects).toEqual([]);
  });

  it('full sequence: message → offer → Start → details → submit → join → relay → stop → back to the bot', () => {
    let c = conversation();
    let r = run(c, fromUser(ue.message('I need to talk to an agent')), { ids: ['o-1'] });
    c = run(r.state, internal(ie.cardSent('offer', 'o-1', refs.offer))).state;
    r = run(c, fromUser(ue.startChat('o-1', { source: refs.offer })));
    expect(phaseOf(r.state)).toBe('collecting');
    c = run(r.state, internal(ie.cardSent('details', 'o-1', refs.details))).state;
    r = run(c, fromUser(ue.submitDetails('o-1', 'Cannot log in to SAP')), { ids: ['s-9'] });
    expect(phaseOf(r.state)).toBe('queued');
    const req = findEffect(r.effects, 'deskOpen')!.request;
    expect(req).toMatchObject({
      sessionId: 's-9',
      title: 'Cannot log in to SAP',
      user: { id: 'u1', name: 'Ada Lovelace' },
      surface: 'teams',
    });
    expect(req.history.map((h) => h.text)).toEqual(['I need to talk to an agent', M.offer]);
    c = run(r.state, fromDesk(de.joined('s-9'))).state;
    r = run(c, fromUser(ue.message('hello?')));
    expect(effectTypes(r.effects)).toEqual(['deskSend']);
    r = run(r.state, fromUser(ue.message('stop chat')));
    expect(phaseOf(r.state)).toBe('none');
    r = run(r.state, fromUser(ue.message('talk to an agent')));
    expect(effectTypes(r.effects)).toEqual(['offer']);
  });
});

// =============================================================================== deskOpen request content

describe('deskOpen request: routing, identity, history', () => {
  function openFor(state: Conversation, s: CoreSettings = S) {
    const r = run(state, fromUser(ue.startChat(OFFER, { user: userOf(state) })), { settings: s });
    return findEffect(r.effects, 'deskOpen')!.request;
  }
  function userOf(c: Conversation) {
    return { surface: c.surface, profile: c.profile, address: c.address };
  }
  const withProfile = (profile: Partial<Conversation['profile']>) => {
    const base = described();
    return { ...base, profile: { id: 'u1', name: 'Ada Lovelace', ...profile } as Conversation['profile'] };
  };

  it('language and region from the locale, plus custom keys from config', () => {
    const req = openFor(
      withProfile({ locale: 'en-US', timeZone: 'America/Los_Angeles' }),
      settings({ routing: { domain: 'it', tier: 'gold' } }),
    );
    expect(req.routing).toEqual({ language: 'en', region: 'US', domain: 'it', tier: 'gold' });
    expect(req.user).toMatchObject({ id: 'u1', name: 'Ada Lovelace' });
  });

  it('region falls back to the time zone when the locale has none', () => {
    const req = openFor(withProfile({ locale: 'fr', timeZone: 'Europe/Paris' }));
    expect(req.routing.language).toBe('fr');
    expect(req.routing.region).toBeTruthy();
  });

  it('BUG: region from a locale with a script subtag (zh-Hans-CN → CN)', () => {
    const req = openFor(withProfile({ locale: 'zh-Hans-CN' }));
    expect(req.routing).toMatchObject({ language: 'zh', region: 'CN' });
  });

  it('default history: last 6 entries of user and bot', () => {
    const history = Array.from({ length: 10 }, (_, i) => ({
      from: (i % 2 ? 'bot' : 'user') as 'bot' | 'user',
      text: `h${i}`,
      at: T0 - 10_000 + i,
    }));
    const req = openFor({ ...described(), history });
    expect(req.history.map((h) => h.text)).toEqual(['h4', 'h5', 'h6', 'h7', 'h8', 'h9']);
  });

  it('history options from config reach the desk (count, dropUserMessages, stripLinks)', () => {
    const history = [
      { from: 'user' as const, text: 'see https://secret.example.com/x', at: 1 },
      { from: 'bot' as const, text: 'Try [the portal](https://portal.example.com)', at: 2 },
      { from: 'user' as const, text: 'ok', at: 3 },
      { from: 'bot' as const, text: 'Anything else?', at: 4 },
    ];
    const req = openFor({ ...described(), history }, settings({ history: { maxMessages: 1, dropUserMessages: true, stripLinks: true } }));
    expect(req.history.map((h) => h.text)).toEqual(['Anything else?']);
    const req2 = openFor({ ...described(), history }, settings({ history: { maxMessages: 3, dropUserMessages: true, stripLinks: true } }));
    expect(req2.history.map((h) => h.text)).toEqual(['Try the portal', 'Anything else?']);
  });

  it('the same history also goes as a plain-text extract, capped at bot.history.maxTextBytes', () => {
    const at = Date.UTC(2026, 11, 4, 10, 2);
    const history = [
      { from: 'user' as const, text: 'vpn broken', at },
      { from: 'bot' as const, text: 'Have you tried restarting?', at },
    ];
    const req = openFor({ ...described(), history });
    expect(req.history.map((h) => h.text)).toEqual(['vpn broken', 'Have you tried restarting?']);
    expect(req.historyText).toBe('[2026-12-04 10:02 UTC] User: vpn broken\n[2026-12-04 10:02 UTC] Bot: Have you tried restarting?');
    expect(openFor({ ...described(), history }, settings({ history: { maxTextBytes: 45 } })).historyText).toBe(
      `${'[2026-12-04 10:02 UTC] Bot: Have you tried restarting?'.slice(0, 42)}…`,
    );
    expect(openFor({ ...described(), history }, settings({ history: { maxTextBytes: 0 } }))).not.toHaveProperty('historyText');
  });
});

// =============================================================================== spec gaps

describe('spec details that the effects must carry', () => {
  it('GAP: the "joined" notice carries the agent avatar where configured (spec 6)', () => {
    const r = run(queued(), fromDesk(de.joined(SESSION, agents.beth)));
    const joinedNotice = r.effects.find((e) => e.type === 'send' && JSON.stringify(e).includes('joined'));
    expect(JSON.stringify(joinedNotice)).toContain('beth.png');
  });

  it('GAP: the desk\'s own closing text on "ended" reaches the user (it is dropped today)', () => {
    const r = run(live(), fromDesk(de.ended(SESSION, 'agent_ended', 'Closed for inactivity after 10 minutes')));
    expect(r.effects.map((e) => JSON.stringify(e)).join('\n')).toContain('Closed for inactivity');
  });
});
