/**
 * The cards of the flow over whole sequences: every earlier card (all offers the state knows,
 * the details form, the waiting card) is updated once it no longer applies; the end says one
 * coherent thing; a required topic is asked even when the problem is known; over-long text is
 * neither relayed nor kept.
 */
import type { SentRef } from '../../../bots/core/ports';
import { transition, type Conversation, type CoreEvent, type Effect } from '../../../bots/core/session';
import type { CoreSettings } from '../../../bots/core/settings';
import {
  agents,
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
const CS = M.cardStatus;

/** Status texts of the updates in `effects`, by ref. */
function updates(effects: Effect[]): { ref: SentRef; type: string; status?: string }[] {
  return effects.flatMap((e) =>
    e.type === 'update' && e.content.kind === 'card'
      ? [{ ref: e.ref, type: e.content.view.type, status: (e.content.view as { status?: { text: string } }).status?.text }]
      : [],
  );
}

/** Runs events one after another like the broker does, feeding back the refs of sent cards. */
class Flow {
  state: Conversation;
  last: Effect[] = [];
  private n = 0;
  constructor(
    readonly s: CoreSettings = S,
    state: Conversation = conversation(),
  ) {
    this.state = state;
  }
  step(event: CoreEvent, ids: string[] = []): Effect[] {
    const r = transition(this.state, event, ctx({ settings: this.s, ids }));
    this.state = r.state;
    for (const e of r.effects) {
      const slot = e.type === 'offer' ? { slot: 'offer' as const, id: e.offerId } : e.type === 'send' ? e.track : undefined;
      if (slot)
        this.state = transition(this.state, internal(ie.cardSent(slot.slot, slot.id, { ts: `${slot.slot}-${slot.id}` })), ctx()).state;
    }
    this.n += 1;
    this.last = r.effects;
    return r.effects;
  }
}
const ref = (slot: string, id: string): SentRef => ({ ts: `${slot}-${id}` });

describe('old cards do not stay live (item 7)', () => {
  it('two offers, Start on one, asking again while the form is open, a stale Start, submit, join, stop: every card ends up with a status', () => {
    const f = new Flow();
    expect(effectTypes(f.step(fromUser(ue.message('talk to an agent')), ['o-1']))).toEqual(['offer']);
    expect(effectTypes(f.step(fromUser(ue.message('agent')), ['o-2']))).toEqual(['offer']);
    expect(f.state.earlierOffers).toEqual([{ offerId: 'o-1', ref: ref('offer', 'o-1') }]);

    // Start on the latest: both offers lose their button, the form comes.
    let effects = f.step(fromUser(ue.startChat('o-2', { source: ref('offer', 'o-2') })));
    expect(updates(effects)).toEqual([
      { ref: ref('offer', 'o-2'), type: 'offer', status: CS.requested },
      { ref: ref('offer', 'o-1'), type: 'offer', status: CS.requested },
    ]);
    expect(sentCards(effects).map((v) => v.type)).toEqual(['details']);
    expect(f.state.offer).toBeUndefined();
    expect(f.state.earlierOffers).toBeUndefined();

    // Asking again while the form is open: pointed to the form, no second offer card.
    effects = f.step(fromUser(ue.message('I need to talk to an agent')), ['o-3']);
    expect(effectTypes(effects)).toEqual(['send']);
    expect(texts(effects)).toEqual([M.formOpen]);
    expect(f.state.offer).toBeUndefined();

    // A stale client presses Start on the first offer: said, and that card updated again.
    effects = f.step(fromUser(ue.startChat('o-1', { source: ref('offer', 'o-1') })));
    expect(texts(effects)).toEqual([M.formOpen]);
    expect(updates(effects)).toEqual([{ ref: ref('offer', 'o-1'), type: 'offer', status: CS.requested }]);

    // Submit: the form says "Sent", the waiting card comes.
    effects = f.step(fromUser(ue.submitDetails('o-2', 'Cannot log in to SAP')), [SESSION]);
    expect(updates(effects)).toEqual([{ ref: ref('details', 'o-2'), type: 'details', status: CS.sent }]);
    expect(effectTypes(effects)).toContain('deskOpen');

    // A Start pressed now (any offer) opens nothing.
    effects = f.step(fromUser(ue.startChat('o-1', { source: ref('offer', 'o-1') })));
    expect(texts(effects)).toEqual([M.alreadyOpen]);
    expect(effectTypes(effects)).not.toContain('deskOpen');

    // Join: the waiting card says who; stop: it says the chat ended.
    effects = f.step(fromDesk(de.joined(SESSION, agents.sam)));
    expect(updates(effects)).toEqual([{ ref: ref('waiting', SESSION), type: 'waiting', status: 'Connected to Sam' }]);
    effects = f.step(fromUser(ue.message('stop chat')));
    expect(updates(effects)).toEqual([{ ref: ref('waiting', SESSION), type: 'waiting', status: CS.ended }]);
  });

  it('every earlier offer the state remembers is retired on Start, not only the latest and the clicked one', () => {
    const f = new Flow();
    f.step(fromUser(ue.message('agent')), ['o-1']);
    f.step(fromUser(ue.message('agent please')), ['o-2']);
    f.step(fromUser(ue.message('human')), ['o-3']);
    const effects = f.step(fromUser(ue.startChat('o-3', { source: ref('offer', 'o-3') })));
    const retired = updates(effects);
    expect(retired).toHaveLength(3);
    expect(retired.map((u) => u.ref)).toEqual(expect.arrayContaining([ref('offer', 'o-1'), ref('offer', 'o-2'), ref('offer', 'o-3')]));
    expect(retired.every((u) => u.status === CS.requested)).toBe(true);
  });
});

describe('the waiting card after the end (item 8) and a request closed unaccepted (item 9)', () => {
  it.each([
    ['live, agent ends', live, fromDesk(de.ended(SESSION, 'agent_ended')), CS.endedByAgent, M.agentEnded],
    ['live, user stops', live, fromUser(ue.message('stop chat')), CS.ended, M.userEnded],
    ['live, desk fails', live, fromDesk(de.ended(SESSION, 'desk_error')), CS.interrupted, M.deskError],
    ['queued, agent closes the request', queued, fromDesk(de.ended(SESSION, 'agent_ended')), CS.closedWithoutChat, M.requestClosed],
    ['queued, user stops', queued, fromUser(ue.message('stop chat')), CS.cancelled, M.userCancelled],
    ['queued, timeout', queued, internal(ie.queueTimeout(SESSION)), CS.noAgent, M.queueTimeout],
  ] as const)('%s → waiting card %j, user told %j', (_name, state, event, status, said) => {
    const r = transition(state(), event, ctx());
    expect(updates(r.effects)).toEqual([{ ref: refs.waiting, type: 'waiting', status }]);
    expect(texts(r.effects)).toEqual([said]);
  });

  it('an agent closing a request nobody accepted does not say "The agent ended the chat"', () => {
    const r = transition(queued(), fromDesk(de.ended(SESSION, 'agent_ended')), ctx());
    expect(texts(r.effects).join('\n')).not.toContain(M.agentEnded);
    expect(M.requestClosed).toMatch(/closed/);
  });
});

describe("the desk's closing words and ours: one message (item 10)", () => {
  it.each([
    ['live', live, 'agent_ended'],
    ['queued', queued, 'queue_timeout'],
  ] as const)("%s × ended with the desk's line → one message with it, not the desk line and then ours", (_name, state, reason) => {
    const r = transition(state(), fromDesk(de.ended(SESSION, reason, 'Beth Anglin has closed the support session.')), ctx());
    expect(texts(r.effects)).toEqual(['Beth Anglin has closed the support session. You are back with the bot.']);
  });

  it('the wording is configured', () => {
    const r = transition(
      live(),
      fromDesk(de.ended(SESSION, 'agent_ended', 'Closed.')),
      ctx({ settings: settings({ messages: { deskClosing: '{message} (bot here again)' } }) }),
    );
    expect(texts(r.effects)).toEqual(['Closed. (bot here again)']);
  });
});

describe('a required topic when the problem is already described (item 14)', () => {
  const topics = settings({
    topics: [
      { id: 'net', label: 'Network' },
      { id: 'hw', label: 'Hardware' },
    ],
  });
  const described = () => conversation({ lastUtterance: { text: 'My VPN drops every 5 minutes', at: T0 - 60_000 } });

  it('Start → a topic-only form (no description asked), then submit with the topic → queued with both', () => {
    const f = new Flow(topics, described());
    let effects = f.step(fromUser(ue.startChat('o-1')));
    expect(effectTypes(effects)).toEqual(['send']);
    expect(sentCards(effects)).toEqual([
      { type: 'details', offerId: 'o-1', prompt: M.topicPrompt, topics: topics.topics, topicRequired: true, topicOnly: true },
    ]);
    expect(f.state.session).toMatchObject({ phase: 'collecting', description: 'My VPN drops every 5 minutes' });

    // Without a topic: asked again, not queued.
    effects = f.step(fromUser(ue.submitDetails('o-1', '')));
    expect(texts(effects)).toEqual([M.topicMissing]);
    expect(f.state.session?.phase).toBe('collecting');

    effects = f.step(fromUser(ue.submitDetails('o-1', '', { topicId: 'net' })), [SESSION]);
    const open = findEffect(effects, 'deskOpen')!.request;
    expect(open).toMatchObject({
      title: 'My VPN drops every 5 minutes',
      details: 'My VPN drops every 5 minutes',
      topic: { id: 'net', label: 'Network' },
    });
    expect(updates(effects)).toEqual([{ ref: ref('details', 'o-1'), type: 'details', status: 'Sent (Network)' }]);
  });

  it('without topics configured the described problem still queues at once', () => {
    const r = transition(described(), fromUser(ue.startChat('o-1')), ctx());
    expect(effectTypes(r.effects)).toEqual(['send', 'startTimer', 'deskOpen']);
  });

  it('a description typed into a topic-only form still wins over the remembered one', () => {
    const f = new Flow(topics, described());
    f.step(fromUser(ue.startChat('o-1')));
    const effects = f.step(fromUser(ue.submitDetails('o-1', 'Actually: Outlook crashes', { topicId: 'hw' })), [SESSION]);
    expect(findEffect(effects, 'deskOpen')!.request).toMatchObject({ details: 'Actually: Outlook crashes', topic: { id: 'hw' } });
  });
});

describe('user text longer than bot.maxMessageChars (item 3)', () => {
  const long = 'a'.repeat(10_001);
  it.each([
    ['none', () => conversation()],
    ['queued', queued],
    ['live', live],
  ])('%s × an over-long message → not relayed, not kept, the user told', (_name, state) => {
    const before = state();
    const r = transition(before, fromUser(ue.message(long)), ctx());
    expect(effectTypes(r.effects)).toEqual(['send']);
    expect(texts(r.effects)).toEqual([M.tooLong.replace('{max}', '10,000')]);
    expect(r.state).toBe(before);
  });

  it('exactly the limit is fine', () => {
    const r = transition(live(), fromUser(ue.message('a'.repeat(10_000))), ctx());
    expect(effectTypes(r.effects)).toEqual(['deskSend']);
  });
});

describe('sentences that were hard-coded come from bot.messages', () => {
  const custom = settings({
    messages: {
      nothingToStop: 'Nothing to stop.',
      filesOutsideChat: 'Files only in a chat.',
      formOpen: 'See the form.',
      descriptionMissing: 'Describe it.',
      cardStatus: { requested: 'Requested!', connected: 'With {agent}' },
    },
  });
  const run = (state: Conversation, event: CoreEvent) => transition(state, event, ctx({ settings: custom }));

  it('uses the configured wording', () => {
    expect(texts(run(conversation(), fromUser(ue.message('stop chat'))).effects)).toEqual(['Nothing to stop.']);
    expect(texts(run(conversation(), fromUser(ue.message('', { files: [{ name: 'a.png', contentType: 'image/png' }] }))).effects)).toEqual([
      'Files only in a chat.',
    ]);
    const withOffer = conversation({ offer: { view: { offerId: 'o-1', message: M.offer }, ref: refs.offer } });
    const started = run(withOffer, fromUser(ue.startChat('o-1', { source: refs.offer })));
    expect(updates(started.effects)).toEqual([{ ref: refs.offer, type: 'offer', status: 'Requested!' }]);
    expect(texts(run(started.state, fromUser(ue.startChat('o-1'))).effects)).toEqual(['See the form.']);
    expect(texts(run(started.state, fromUser(ue.submitDetails('o-1', '  '))).effects)).toEqual(['Describe it.']);
    expect(updates(run(queued(), fromDesk(de.joined(SESSION, agents.beth))).effects)).toEqual([
      { ref: refs.waiting, type: 'waiting', status: 'With Beth' },
    ]);
  });
});
