/**
 * The kit's de-duplication marks on the real memory store: a thing is acted on once per mark
 * (across desks sharing a store, as processes share Redis), a mark that did not lead to work is
 * forgotten so the retry is acted on, and every mark expires after its TTL (the broker's
 * 15-minute window unless the desk says otherwise).
 */
import { randomUUID } from 'node:crypto';
import { KeyvStore } from '../../../../adapters/store';
import { MarkSet, MESSAGE_MARK_TTL_MS } from '../../../../adapters/desks/kit/marks';

describe('kit MarkSet', () => {
  let store: KeyvStore;
  beforeEach(() => {
    store = KeyvStore.memory(`marks-${randomUUID()}`);
  });
  afterEach(() => store.close());

  it('keys are <namespace>:<kind>:<parts>, claimed once across sets on one store', async () => {
    const one = new MarkSet(store, 'desk', 'sent');
    const other = new MarkSet(store, 'desk', 'sent');
    expect(one.key('chat-1', 'm1')).toBe('desk:sent:chat-1:m1');
    expect(await one.claim('chat-1', 'm1')).toBe(true);
    expect(await other.claim('chat-1', 'm1')).toBe(false);
    expect(await other.claim('chat-1', 'm2')).toBe(true);
    expect((await store.keys(one.prefix)).sort()).toEqual(['desk:sent:chat-1:m1', 'desk:sent:chat-1:m2']);
  });

  it('lasts the broker’s 15 minutes by default, or the TTL given', async () => {
    expect(MESSAGE_MARK_TTL_MS).toBe(15 * 60 * 1000);
    const before = Date.now();
    await new MarkSet(store, 'desk', 'sent').claim('a');
    await new MarkSet(store, 'desk', 'payload', 60_000).claim('b');
    const after = Date.now();
    const left = async (key: string) => (await store.expiresAt(key))!;
    expect(await left('desk:sent:a')).toBeGreaterThanOrEqual(before + MESSAGE_MARK_TTL_MS);
    expect(await left('desk:sent:a')).toBeLessThanOrEqual(after + MESSAGE_MARK_TTL_MS);
    expect(await left('desk:payload:b')).toBeGreaterThanOrEqual(before + 60_000);
    expect(await left('desk:payload:b')).toBeLessThanOrEqual(after + 60_000);
  });

  it('once: runs the work the first time, reports a duplicate after, and forgets the mark when the work fails', async () => {
    const marks = new MarkSet(store, 'desk', 'sent');
    let runs = 0;
    const work = async () => {
      runs++;
    };
    expect(await marks.once(['c', 'm1'], work)).toBe('done');
    expect(await marks.once(['c', 'm1'], work)).toBe('duplicate');
    expect(runs).toBe(1);

    const boom = new Error('vendor down');
    await expect(
      marks.once(['c', 'm2'], async () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    // The retry of a message that was not relayed is relayed.
    expect(await marks.once(['c', 'm2'], work)).toBe('done');
    expect(runs).toBe(2);
  });

  it('forget lets the same thing be claimed again', async () => {
    const marks = new MarkSet(store, 'desk', 'seen');
    expect(await marks.claim('x')).toBe(true);
    await marks.forget('x');
    expect(await marks.claim('x')).toBe(true);
  });
});
