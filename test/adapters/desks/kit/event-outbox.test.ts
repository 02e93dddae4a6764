/**
 * The kit's `EventOutbox`: a desk's events reach the broker's sink in order per chat, chats do
 * not wait for each other, a failed or early delivery is an outcome (never a rejection), and a
 * sink that calls back into the desk cannot deadlock it.
 */
import { isBridgeError, ErrorCode } from '../../../../bots/core/errors';
import type { DeskEvent } from '../../../../bots/core/ports';
import { DELIVERED, EventOutbox } from '../../../../adapters/desks/kit/event-outbox';
import { deferred, RecordingLogger, within } from '../../../helpers/core-fakes';

const message = (sessionId: string, n: number): DeskEvent => ({
  type: 'agentMessage',
  sessionId,
  agent: { id: 'beth', name: 'Beth' },
  messageId: `m${n}`,
  text: `message ${n}`,
});

describe('kit EventOutbox', () => {
  it('delivers one chat in order, even when an earlier delivery is slow, while other chats go on', async () => {
    const outbox = new EventOutbox('test', new RecordingLogger());
    const seen: string[] = [];
    const slow = deferred();
    outbox.start(async (event) => {
      if (event.sessionId === 'a' && event.type === 'agentMessage' && event.messageId === 'm1') await slow.promise;
      seen.push(`${event.sessionId}:${event.type === 'agentMessage' ? event.messageId : event.type}`);
    });
    const first = outbox.deliver(message('a', 1));
    const second = outbox.deliver(message('a', 2));
    // Chat b is not held up by chat a's slow delivery.
    await within(outbox.deliver(message('b', 1)), 2000, 'chat b');
    expect(seen).toEqual(['b:m1']);
    slow.resolve();
    expect(await first).toEqual({ ok: true });
    expect(await second).toEqual({ ok: true });
    expect(seen).toEqual(['b:m1', 'a:m1', 'a:m2']);
  });

  it('reports a failing sink as an outcome and keeps delivering later events', async () => {
    const logger = new RecordingLogger();
    const outbox = new EventOutbox('test', logger);
    const boom = new Error('surface down');
    let calls = 0;
    outbox.start(async () => {
      calls++;
      if (calls === 1) throw boom;
    });
    expect(await outbox.deliver(message('a', 1))).toEqual({ ok: false, error: boom });
    expect(await outbox.deliver(message('a', 2))).toEqual({ ok: true });
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual(['test: the sink failed']);
    calls = 0;
    await expect(outbox.deliverOrThrow(message('a', 3))).rejects.toBe(boom);
    await expect(outbox.deliverOrThrow(message('a', 4))).resolves.toBeUndefined();
  });

  it('before start: a desk_unavailable outcome, logged, nothing thrown', async () => {
    const logger = new RecordingLogger();
    const outbox = new EventOutbox('test', logger);
    const outcome = await outbox.deliver(message('a', 1));
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && isBridgeError(outcome.error, ErrorCode.DeskUnavailable)).toBe(true);
    expect(logger.lines.map((l) => l.msg)).toEqual(['test: event before start(); dropped']);
    expect(await DELIVERED).toEqual({ ok: true });
  });

  it('a sink that waits on the desk, which delivers again for the chat, does not deadlock the desk', async () => {
    const outbox = new EventOutbox('test', new RecordingLogger());
    const seen: string[] = [];
    let followUp: Promise<unknown> | undefined;
    outbox.start(async (event) => {
      seen.push(event.type);
      // The broker ends the chat when a send fails; the desk then reports `ended` for it.
      if (event.type === 'agentMessage') followUp = outbox.deliver({ type: 'ended', sessionId: event.sessionId, reason: 'agent_ended' });
    });
    await within(outbox.deliver(message('a', 1)), 2000, 'the first delivery');
    await within(followUp!, 2000, 'the follow-up');
    await outbox.drain();
    expect(seen).toEqual(['agentMessage', 'ended']);
  });
});
