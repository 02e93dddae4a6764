/**
 * The kit's per-chat queues: `ChatOutbox` runs a chat's vendor calls one at a time in order and
 * chats in parallel; `ChatInbox` applies what the vendor sent after the request returned, in
 * arrival order per chat, undoes a failed one, and refuses new work once stopping.
 */
import { isBridgeError, ErrorCode } from '../../../../bots/core/errors';
import { ChatInbox, ChatOutbox } from '../../../../adapters/desks/kit/chat-queues';
import { deferred, RecordingLogger, within } from '../../../helpers/core-fakes';
import { eventually } from '../../../helpers/eventually';

describe('kit ChatOutbox', () => {
  it('runs one chat’s calls in order, one at a time, and other chats meanwhile', async () => {
    const outbox = new ChatOutbox();
    const log: string[] = [];
    const gate = deferred();
    let running = 0;
    let most = 0;
    const call = (chat: string, n: number, wait?: Promise<void>) =>
      outbox.send(chat, async () => {
        running++;
        most = Math.max(most, running);
        log.push(`${chat}${n} start`);
        await wait;
        log.push(`${chat}${n} end`);
        running--;
        return n;
      });
    const a1 = call('a', 1, gate.promise);
    const a2 = call('a', 2);
    expect(await within(call('b', 1), 2000, 'chat b')).toBe(1);
    gate.resolve();
    expect(await Promise.all([a1, a2])).toEqual([1, 2]);
    expect(log).toEqual(['a1 start', 'b1 start', 'b1 end', 'a1 end', 'a2 start', 'a2 end']);
    expect(most).toBe(2); // a and b at once, never two of a
  });

  it('a failed call rejects its caller only; the next call of the chat still runs; drain waits for all', async () => {
    const outbox = new ChatOutbox();
    const failed = outbox.send('a', async () => {
      throw new Error('HTTP 500');
    });
    let done = false;
    const next = outbox.send('a', async () => {
      done = true;
    });
    await expect(failed).rejects.toThrow('HTTP 500');
    await outbox.drain();
    expect(done).toBe(true);
    await expect(next).resolves.toBeUndefined();
  });
});

describe('kit ChatInbox', () => {
  it('returns at once and applies a chat’s work in arrival order', async () => {
    const inbox = new ChatInbox('test', new RecordingLogger());
    const applied: number[] = [];
    const gate = deferred();
    inbox.take('a', async () => {
      await gate.promise;
      applied.push(1);
    });
    inbox.take('a', async () => {
      applied.push(2);
    });
    expect(applied).toEqual([]);
    gate.resolve();
    await eventually(() => expect(applied).toEqual([1, 2]));
  });

  it('a failure is logged and undone, and the chat’s later work still runs', async () => {
    const logger = new RecordingLogger();
    const inbox = new ChatInbox('test', logger);
    const undone: unknown[] = [];
    const applied: string[] = [];
    const boom = new Error('unknown agent');
    inbox.take(
      'a',
      async () => {
        throw boom;
      },
      async (e) => {
        undone.push(e);
      },
    );
    inbox.take('a', async () => {
      applied.push('second');
    });
    await inbox.stop();
    expect(undone).toEqual([boom]);
    expect(applied).toEqual(['second']);
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual(['test: payload could not be applied']);
  });

  it('stop finishes the work taken, then refuses new work with a retryable 503 until started again', async () => {
    const inbox = new ChatInbox('test', new RecordingLogger());
    const gate = deferred();
    let finished = false;
    inbox.take('a', async () => {
      await gate.promise;
      finished = true;
    });
    const stopping = inbox.stop();
    let stopped = false;
    void stopping.then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;
    expect(finished).toBe(true);
    let refusal: unknown;
    try {
      inbox.assertOpen();
    } catch (e) {
      refusal = e;
    }
    expect(isBridgeError(refusal, ErrorCode.DeskUnavailable)).toBe(true);
    expect(refusal).toMatchObject({ status: 503, retryable: true });
    inbox.start();
    expect(() => inbox.assertOpen()).not.toThrow();
  });
});
