/**
 * How the app composes its desks: one desk is used as it is; several go behind the router, each
 * stream desk behind its own ChatStreamOwner (so a routed chat's connection is owned and opened
 * as for a single stream desk), routes and file checks of every desk are kept.
 */
import pino from 'pino';
import { createStore } from '../../adapters/store';
import { storeSettingsSchema } from '../../adapters/store/config';
import { composeDesks } from '../../bots/desks';
import { ChatStreamOwner } from '../../bots/core/chat-stream-owner';
import type { ChatStream, ChatStreamEvents, StreamDesk } from '../../bots/core/chat-streams';
import { systemClock } from '../../bots/core/clock';
import { DeskRouter } from '../../bots/core/desk-router';
import { deskRoutingRuleSchema } from '../../bots/core/desk-routing';
import type { OpenChatRequest, Store } from '../../bots/core/ports';
import { FakeDesk } from '../helpers/core-fakes';
import { eventually } from '../helpers/eventually';

class OpenedStreams extends FakeDesk implements StreamDesk {
  readonly streams: string[] = [];
  async openStream(sessionId: string, _cursor: string | undefined, _events: ChatStreamEvents): Promise<ChatStream> {
    this.streams.push(sessionId);
    return { close: async () => undefined };
  }
}

const request = (sessionId: string, topic: string): OpenChatRequest => ({
  sessionId,
  surface: 'teams',
  user: { id: 'u', name: 'U' },
  title: 't',
  details: 'd',
  topic: { id: topic, label: topic },
  routing: {},
  history: [],
});

describe('composeDesks', () => {
  let store: Store;
  const logger = pino({ level: 'silent' });
  beforeEach(async () => {
    store = await createStore(storeSettingsSchema.parse({ namespace: `compose-${Date.now()}` }));
  });
  afterEach(() => store.close());

  it('one plain desk is the broker’s desk itself; one stream desk gets its owner', () => {
    const plain = new FakeDesk();
    expect(
      composeDesks([{ id: 'a', system: 'x', module: { desk: plain, banner: () => ['a'] } }], {
        store,
        clock: systemClock,
        logger,
        rules: [],
        markTtlMs: 1000,
      }).desk,
    ).toBe(plain);
    const streaming = composeDesks([{ id: 's', system: 'y', module: { desk: new OpenedStreams(), banner: () => [] } }], {
      store,
      clock: systemClock,
      logger,
      rules: [],
      markTtlMs: 1000,
    });
    expect(streaming.desk).toBeInstanceOf(ChatStreamOwner);
    expect(streaming.streamOwners).toEqual([streaming.desk]);
  });

  it('several desks: the router over them, each stream desk behind its own owner, which opens the routed chat’s stream', async () => {
    const plain = new FakeDesk();
    const streaming = new OpenedStreams();
    const composed = composeDesks(
      [
        {
          id: 'it',
          system: 'x',
          module: {
            desk: plain,
            banner: () => ['  it line'],
            routes: [{ prefix: '/x', metricsLabel: 'x', router: (_q, _s, next) => next() }],
          },
        },
        { id: 'chat', system: 'y', module: { desk: streaming, banner: () => ['  chat line'], authorizeFileFetch: () => false } },
      ],
      {
        store,
        clock: systemClock,
        logger,
        rules: [deskRoutingRuleSchema.parse({ when: { topic: ['sales'] }, desk: 'chat' })],
        markTtlMs: 60_000,
      },
    );
    const router = composed.desk as DeskRouter;
    expect(router).toBeInstanceOf(DeskRouter);
    expect(router.desk('it')).toBe(plain);
    expect(router.desk('chat')).toBeInstanceOf(ChatStreamOwner);
    expect(composed.streamOwners).toEqual([router.desk('chat')]);
    expect(composed.routeLabels).toEqual([{ prefix: '/x', label: 'x' }]);
    expect(composed.banner('http://b')).toEqual(['  Desk "it" (x):', '  it line', '  Desk "chat" (y):', '  chat line']);
    expect(await composed.authorizeFileFetch!({} as never, {} as never)).toBe(false);

    await router.start(async () => undefined);
    try {
      await router.openChat(request('s-sales', 'sales'));
      await router.openChat(request('s-vpn', 'vpn'));
      await eventually(() => expect(streaming.streams).toEqual(['s-sales']));
      expect(streaming.opens.map((o) => o.sessionId)).toEqual(['s-sales']);
      expect(plain.opens.map((o) => o.sessionId)).toEqual(['s-vpn']);
    } finally {
      await router.stop();
      for (const owner of composed.streamOwners) await owner.stop();
    }
  });
});
