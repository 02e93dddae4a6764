/**
 * Routing rules, pure (which desks a chat's context gives, best first), and the router over real
 * desks' port: availability picks among them, a desk that is down falls back, the choice sticks
 * to the chat across router instances (it is in the Store).
 */
import { createStore } from '../../../adapters/store';
import { storeSettingsSchema } from '../../../adapters/store/config';
import { deskCandidates, deskRoutingRuleSchema, routingContextOf, type DeskRoutingRule } from '../../../bots/core/desk-routing';
import { DeskRouter, deskRouterKeys } from '../../../bots/core/desk-router';
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import type { DeskRoutingContext, OpenChatRequest, Store } from '../../../bots/core/ports';
import { FakeDesk } from '../../helpers/core-fakes';
import { RecordingLogger } from '../../helpers/console-harness';

const rules: DeskRoutingRule[] = [
  { when: { topic: ['benefits', 'payroll'] }, desk: 'hr', fallback: [] },
  { when: { surface: ['slack'], attributes: { region: ['DE', 'AT'] } }, desk: 'dach', fallback: ['it'] },
  { when: { attributes: { department: ['finance'] } }, desk: 'finance', fallback: ['hr', 'it'] },
  { desk: 'it', fallback: ['hr'] },
].map((r) => deskRoutingRuleSchema.parse(r));

const ctx = (c: Partial<DeskRoutingContext>): DeskRoutingContext => ({ attributes: {}, ...c });

describe('deskCandidates', () => {
  it.each<[string, DeskRoutingContext, string[]]>([
    ['topic in a rule', ctx({ topic: 'payroll', surface: 'teams' }), ['hr']],
    ['topic in no rule: the catch-all', ctx({ topic: 'vpn', surface: 'teams' }), ['it', 'hr']],
    ['no topic yet (the offer): topic rules do not apply', ctx({ surface: 'teams' }), ['it', 'hr']],
    ['surface and attribute both match', ctx({ surface: 'slack', attributes: { region: 'DE' } }), ['dach', 'it']],
    ['attribute values compare without case', ctx({ surface: 'slack', attributes: { region: 'at' } }), ['dach', 'it']],
    ['surface matches, attribute not', ctx({ surface: 'slack', attributes: { region: 'US' } }), ['it', 'hr']],
    ['attribute matches, surface not', ctx({ surface: 'teams', attributes: { region: 'DE' } }), ['it', 'hr']],
    ['any attribute name (a web-token one)', ctx({ surface: 'web', attributes: { department: 'Finance' } }), ['finance', 'hr', 'it']],
    ['first matching rule wins', ctx({ topic: 'benefits', attributes: { department: 'finance' } }), ['hr']],
  ])('%s', (_name, context, expected) => {
    expect(deskCandidates(rules, context, 'default')).toEqual(expected);
  });

  it('no rule matches: the default desk', () => {
    expect(deskCandidates(rules.slice(0, 3), ctx({ surface: 'teams' }), 'default')).toEqual(['default']);
    expect(deskCandidates([], ctx({}), 'default')).toEqual(['default']);
  });

  it('an empty `when` matches every chat; a desk named twice is tried once', () => {
    const [rule] = [deskRoutingRuleSchema.parse({ when: {}, desk: 'a', fallback: ['b', 'a', 'b'] })];
    expect(deskCandidates([rule], ctx({ topic: 'x' }), 'default')).toEqual(['a', 'b']);
  });

  it('the context: locale, the routing keys the desk gets, the surface and web-token attributes, the topic', () => {
    expect(
      routingContextOf({
        surface: 'web',
        user: { locale: 'de-AT', attributes: { department: 'hr', region: 'ignored' } },
        routing: { language: 'de', region: 'AT', site: 'vienna' },
        topic: { id: 'benefits' },
      }),
    ).toEqual({
      surface: 'web',
      topic: 'benefits',
      attributes: { locale: 'de-AT', language: 'de', region: 'AT', site: 'vienna', department: 'hr' },
    });
  });
});

describe('DeskRouter', () => {
  let store: Store;
  beforeEach(async () => {
    store = await createStore(storeSettingsSchema.parse({ namespace: `routing-${Date.now()}` }));
  });
  afterEach(() => store.close());

  const request = (sessionId: string, over: Partial<OpenChatRequest> = {}): OpenChatRequest => ({
    sessionId,
    surface: 'teams',
    user: { id: 'u1', name: 'Jordan', locale: 'en-US' },
    title: 't',
    details: 'd',
    routing: { language: 'en', region: 'US' },
    history: [],
    ...over,
  });

  function router(desks: Record<string, FakeDesk>, routingRules = rules) {
    return new DeskRouter({
      desks: Object.entries(desks).map(([id, desk]) => ({ id, desk })),
      rules: routingRules,
      store,
      logger: new RecordingLogger(),
      markTtlMs: 60_000,
    });
  }

  it.each<[string, Partial<Record<'it' | 'hr' | 'finance', boolean | 'throws'>>, Partial<OpenChatRequest>, string]>([
    ['the rule desk when it is available', {}, { topic: { id: 'vpn', label: 'VPN' } }, 'it'],
    ['a topic rule', { hr: true }, { topic: { id: 'payroll', label: 'Payroll' } }, 'hr'],
    ['the fallback when the rule desk says nobody is there', { it: false }, {}, 'hr'],
    ['the fallback when the rule desk cannot be asked', { it: 'throws' }, {}, 'hr'],
    [
      'the next fallback in order',
      { finance: false, hr: 'throws' },
      { user: { id: 'u', name: 'U', attributes: { department: 'finance' } } },
      'it',
    ],
    ['the rule desk when every candidate is down', { it: false, hr: false }, {}, 'it'],
  ])('openChat: %s', async (_name, availability, over, expected) => {
    const desks = { it: new FakeDesk(), hr: new FakeDesk(), finance: new FakeDesk() };
    for (const [id, answer] of Object.entries(availability)) {
      desks[id as keyof typeof desks].availability =
        answer === 'throws'
          ? async () => {
              throw new BridgeError(ErrorCode.DeskUnavailable, 'down');
            }
          : { available: answer as boolean };
    }
    const r = router(desks);
    await r.openChat(request('s1', over));
    const opened = Object.entries(desks).filter(([, d]) => d.opens.length > 0);
    expect(opened.map(([id]) => id)).toEqual([expected]);
    expect(await store.get(deskRouterKeys.deskOf('s1'))).toBe(expected);
  });

  it('a desk refusing the chat (desk_unavailable) hands it to the next candidate', async () => {
    const desks = { it: new FakeDesk(), hr: new FakeDesk() };
    desks.it.onOpen = () => {
      throw new BridgeError(ErrorCode.DeskUnavailable, 'queue full');
    };
    await router(desks).openChat(request('s2'));
    expect(desks.hr.opens.map((o) => o.sessionId)).toEqual(['s2']);
    expect(await store.get(deskRouterKeys.deskOf('s2'))).toBe('hr');
  });

  it('any other failure is the chat failing, not a reason to open it twice', async () => {
    const desks = { it: new FakeDesk(), hr: new FakeDesk() };
    desks.it.onOpen = () => {
      throw new BridgeError(ErrorCode.DeskRejected, 'bad request');
    };
    await expect(router(desks).openChat(request('s3'))).rejects.toMatchObject({ code: 'desk_rejected' });
    expect(desks.hr.opens).toEqual([]);
  });

  it('later calls go to the chat’s desk, from any process (another router on the same Store)', async () => {
    const first = { it: new FakeDesk(), hr: new FakeDesk() };
    await router(first).openChat(request('s4', { topic: { id: 'benefits', label: 'Benefits' } }));
    const other = { it: new FakeDesk(), hr: new FakeDesk() };
    const r = router(other);
    await r.sendMessage('s4', { messageId: 'm1', text: 'hi', at: 1 });
    await r.sendTyping('s4');
    await r.endChat('s4', 'user_stopped');
    expect(other.hr.sent.map((s) => s.message.text)).toEqual(['hi']);
    expect(other.hr.typings).toEqual(['s4']);
    expect(other.hr.ended).toEqual([{ sessionId: 's4', reason: 'user_stopped' }]);
    expect([other.it.sent, other.it.typings, other.it.ended]).toEqual([[], [], []]);
  });

  it('a chat it has no mark for (opened before routing) is the default desk’s', async () => {
    const desks = { it: new FakeDesk(), hr: new FakeDesk() };
    await router(desks).endChat('old', 'user_stopped');
    expect(desks.it.ended).toEqual([{ sessionId: 'old', reason: 'user_stopped' }]);
  });

  it('availability is the one of the desk the chat would go to, after its fallback', async () => {
    const desks = { it: new FakeDesk(), hr: new FakeDesk(), finance: new FakeDesk() };
    desks.it.availability = { available: false, agentsOnline: 0 };
    desks.hr.availability = { available: true, agentsOnline: 3 };
    desks.finance.availability = { available: true, agentsOnline: 1 };
    const r = router(desks, [
      deskRoutingRuleSchema.parse({ when: { surface: ['slack'] }, desk: 'finance' }),
      deskRoutingRuleSchema.parse({ desk: 'it', fallback: ['hr'] }),
    ]);
    expect(await r.checkAvailability(ctx({ surface: 'slack' }))).toEqual({ available: true, agentsOnline: 1 });
    expect(await r.checkAvailability(ctx({ surface: 'teams' }))).toEqual({ available: true, agentsOnline: 3 });
    desks.hr.availability = { available: false, agentsOnline: 0 };
    expect(await r.checkAvailability(ctx({ surface: 'teams' }))).toEqual({ available: false, agentsOnline: 0 });
    desks.it.availability = async () => {
      throw new BridgeError(ErrorCode.DeskUnavailable, 'down');
    };
    desks.hr.availability = async () => {
      throw new BridgeError(ErrorCode.DeskUnavailable, 'down too');
    };
    // Every candidate failed: an error, so the offer's `availabilityOnError` decides.
    await expect(r.checkAvailability(ctx({ surface: 'teams' }))).rejects.toMatchObject({ message: 'down' });
  });

  it('starts every desk with the one sink and stops every desk', async () => {
    const desks = { it: new FakeDesk(), hr: new FakeDesk() };
    const r = router(desks);
    const sink = async () => undefined;
    await r.start(sink);
    expect([desks.it.sink, desks.hr.sink]).toEqual([sink, sink]);
    await r.stop();
    expect([desks.it.stopped, desks.hr.stopped]).toEqual([1, 1]);
  });
});
