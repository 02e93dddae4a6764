/** Broadcasts in the session life cycle: held during a chat, released when it ends, answers recorded. */
import { transition } from '../../../bots/core/session';
import {
  ctx,
  de,
  fromDesk,
  fromUser,
  internal,
  live,
  queued,
  conversation,
  SESSION,
  ue,
  effectTypes,
  findEffect,
} from '../../helpers/core-builders';

const ref = { activityId: 'b-1' };

describe('broadcasts and the session', () => {
  it.each([
    ['queued', queued],
    ['live', () => live()],
  ])('a broadcast delivered while %s is held for release', (_name, state) => {
    const r = transition(state(), internal({ type: 'broadcastDelivered', broadcastId: 'b', ref, held: true }), ctx());
    expect(r.effects).toEqual([]);
    expect(r.state.heldBroadcasts).toEqual([{ broadcastId: 'b', ref }]);
  });

  it('held broadcasts get their buttons back when the user stops the chat', () => {
    const s = {
      ...live(),
      heldBroadcasts: [
        { broadcastId: 'b', ref },
        { broadcastId: 'c', ref: { activityId: 'c-1' } },
      ],
    };
    const r = transition(s, fromUser(ue.message('stop chat')), ctx());
    expect(r.state.heldBroadcasts).toBeUndefined();
    expect(findEffect(r.effects, 'releaseBroadcasts')?.items.map((i) => i.broadcastId)).toEqual(['b', 'c']);
    // The user is told the chat ended before the cards change.
    expect(effectTypes(r.effects).indexOf('send')).toBeLessThan(effectTypes(r.effects).indexOf('releaseBroadcasts'));
  });

  it.each([
    ['the agent ends it', fromDesk(de.ended(SESSION, 'agent_ended'))],
    ['the queue times out', internal({ type: 'queueTimeout', sessionId: SESSION })],
  ])('held broadcasts are released when %s', (_name, event) => {
    const s = { ...queued(), heldBroadcasts: [{ broadcastId: 'b', ref }] };
    const r = transition(s, event, ctx());
    expect(findEffect(r.effects, 'releaseBroadcasts')?.items).toEqual([{ broadcastId: 'b', ref }]);
    expect(r.state.heldBroadcasts).toBeUndefined();
  });

  it('a broadcast sent held but whose chat ended meanwhile is released at once', () => {
    const r = transition(conversation(), internal({ type: 'broadcastDelivered', broadcastId: 'b', ref, held: true }), ctx());
    expect(findEffect(r.effects, 'releaseBroadcasts')?.items).toEqual([{ broadcastId: 'b', ref }]);
    expect(r.state.heldBroadcasts).toBeUndefined();
  });

  it.each([
    ['no chat', conversation],
    ['live', () => live()],
  ])('an answer button press is recorded (%s), and never reaches the desk', (_name, state) => {
    const r = transition(
      state(),
      fromUser({ ...ue.message('x'), type: 'broadcastAction', broadcastId: 'b', index: 1, source: ref } as never),
      ctx(),
    );
    expect(effectTypes(r.effects)).toEqual(['recordBroadcastAnswer']);
  });
});
