/**
 * `Idempotency-Key` on `POST /console/api/chats/:id/messages` (bots/http/idempotency.ts), over
 * real HTTP: a resend with the same key is answered with the first answer and reaches the user
 * once; a new key is a new message; the same key for another message is refused.
 */
import { chatRequest } from '../../../contract/desk.contract';
import { BridgeError, ErrorCode } from '../../../../bots/core/errors';
import type { DeskEvent } from '../../../../bots/core/ports';
import type { ConsoleAgentClient } from '../../../helpers/console-agent';
import { eventually } from '../../../helpers/eventually';
import { startConsoleHarness, type ConsoleHarness } from '../../../helpers/console-harness';
import { RecordingStore } from '../../../helpers/recording-store';
import { CHAT_KEY_PREFIX } from '../../../../adapters/desks/console/chat-repo';

let h: ConsoleHarness;
let beth: ConsoleAgentClient;
const others: ConsoleHarness[] = [];

const delivered = (events: DeskEvent[]) => events.filter((e) => e.type === 'agentMessage').map((e) => (e as { text: string }).text);

function send(agent: ConsoleAgentClient, chatId: string, body: unknown, key?: string) {
  return agent.request('POST', `/api/chats/${chatId}/messages`, { body, headers: key === undefined ? {} : { 'Idempotency-Key': key } });
}

beforeEach(async () => {
  h = await startConsoleHarness();
  beth = h.client(0);
  await h.desk.openChat(chatRequest('c1'));
  await beth.accept('c1');
});

afterEach(async () => {
  await h.close();
  for (const o of others.splice(0)) await o.close();
});

describe('Idempotency-Key on agent messages', () => {
  it('answers a repeat with the first answer and delivers once', async () => {
    const first = await send(beth, 'c1', { text: 'Restart the router' }, 'key-0001');
    expect(first.status).toBe(201);
    const again = await send(beth, 'c1', { text: 'Restart the router' }, 'key-0001');
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(delivered(h.events)).toEqual(['Restart the router']);
    expect((await beth.messages('c1')).filter((m) => m.from === 'agent')).toHaveLength(1);
  });

  it('sends two messages for two keys (and without a key, every time)', async () => {
    expect((await send(beth, 'c1', { text: 'ok' }, 'key-a')).status).toBe(201);
    expect((await send(beth, 'c1', { text: 'ok' }, 'key-b')).status).toBe(201);
    expect((await send(beth, 'c1', { text: 'ok' })).status).toBe(201);
    expect((await send(beth, 'c1', { text: 'ok' })).status).toBe(201);
    expect(delivered(h.events)).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

  it('refuses the same key for a different message with 422, sending nothing', async () => {
    expect((await send(beth, 'c1', { text: 'first' }, 'key-0002')).status).toBe(201);
    const other = await send(beth, 'c1', { text: 'second' }, 'key-0002');
    expect(other.status).toBe(422);
    expect(other.body.error).toEqual({ code: 'conflict', message: expect.stringMatching(/already used for a different request/) });
    const note = await send(beth, 'c1', { text: 'first', private: true }, 'key-0002');
    expect(note.status).toBe(422);
    expect(delivered(h.events)).toEqual(['first']);
  });

  it('scopes a key to the agent and the chat', async () => {
    const sam = h.client(1);
    await h.desk.openChat(chatRequest('c2'));
    await beth.accept('c2');
    await sam.accept('c1');
    expect((await send(beth, 'c1', { text: 'hello' }, 'shared-key')).status).toBe(201);
    expect((await send(beth, 'c2', { text: 'hello' }, 'shared-key')).status).toBe(201);
    expect((await send(sam, 'c1', { text: 'hello' }, 'shared-key')).status).toBe(201);
    expect(delivered(h.events)).toEqual(['hello', 'hello', 'hello']);
  });

  it('answers 409 while the first is still being sent, then the first answer', async () => {
    await h.close();
    let release = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const events: DeskEvent[] = [];
    h = await startConsoleHarness({
      sink: async (e) => {
        events.push(e);
        if (e.type === 'agentMessage') await gate;
      },
    });
    beth = h.client(0);
    await h.desk.openChat(chatRequest('c1'));
    await beth.accept('c1');
    const first = send(beth, 'c1', { text: 'slow one' }, 'key-0003');
    await eventually(() => expect(delivered(events)).toEqual(['slow one']));
    const during = await send(beth, 'c1', { text: 'slow one' }, 'key-0003');
    expect(during.status).toBe(409);
    expect(during.body.error.message).toMatch(/still being processed/);
    release();
    const answered = await first;
    expect(answered.status).toBe(201);
    const after = await send(beth, 'c1', { text: 'slow one' }, 'key-0003');
    expect({ status: after.status, body: after.body }).toEqual({ status: 201, body: answered.body });
    expect(delivered(events)).toEqual(['slow one']);
  });

  it('replays a 502 (stored, not delivered) rather than sending again', async () => {
    await h.close();
    const events: DeskEvent[] = [];
    h = await startConsoleHarness({
      sink: async (e) => {
        events.push(e);
        if (e.type === 'agentMessage') throw new Error('Teams said 503');
      },
    });
    beth = h.client(0);
    await h.desk.openChat(chatRequest('c1'));
    await beth.accept('c1');
    const first = await send(beth, 'c1', { text: 'Did you get this?' }, 'key-0004');
    expect(first.status).toBe(502);
    const again = await send(beth, 'c1', { text: 'Did you get this?' }, 'key-0004');
    expect({ status: again.status, body: again.body }).toEqual({ status: 502, body: first.body });
    expect(delivered(events)).toHaveLength(1);
    expect((await beth.messages('c1')).filter((m) => m.from === 'agent')).toHaveLength(1);
  });

  it('keeps no answer when the store was unreachable (503): the same key is taken once it is back', async () => {
    await h.close();
    // The chat's own record cannot be read (a Redis timeout, say) while the idempotency marks still can.
    class FlakyStore extends RecordingStore {
      down = false;
      override async get<T>(key: string): Promise<T | undefined> {
        if (this.down && key.startsWith(CHAT_KEY_PREFIX))
          throw new BridgeError(ErrorCode.StoreUnavailable, 'Store get failed: no reply from Redis within 3000 ms');
        return super.get<T>(key);
      }
    }
    const store = new FlakyStore();
    h = await startConsoleHarness({ store });
    beth = h.client(0);
    await h.desk.openChat(chatRequest('c1'));
    await beth.accept('c1');
    store.down = true;
    const first = await send(beth, 'c1', { text: 'Are you there?' }, 'key-0006');
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('5');
    expect(first.body.error).toEqual({
      code: 'store_unavailable',
      message: 'The bridge cannot reach its store right now. Try again in a few seconds.',
    });
    store.down = false;
    const again = await send(beth, 'c1', { text: 'Are you there?' }, 'key-0006');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(delivered(h.events)).toEqual(['Are you there?']);
  });

  it('keeps no answer for a refusal that changed nothing: the same key works once the cause is fixed', async () => {
    const sam = h.client(1);
    const refused = await send(sam, 'c1', { text: 'hi from Sam' }, 'key-0005');
    expect(refused.status).toBe(403);
    await sam.accept('c1');
    expect((await send(sam, 'c1', { text: 'hi from Sam' }, 'key-0005')).status).toBe(201);
    expect(delivered(h.events)).toEqual(['hi from Sam']);
  });

  it('holds across processes sharing the store', async () => {
    const other = await startConsoleHarness({ store: h.store });
    others.push(other);
    expect((await send(beth, 'c1', { text: 'once' }, 'key-0006')).status).toBe(201);
    const elsewhere = await send(other.client(0), 'c1', { text: 'once' }, 'key-0006');
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.headers.get('idempotent-replayed')).toBe('true');
    expect([...delivered(h.events), ...delivered(other.events)]).toEqual(['once']);
  });

  it.each([
    ['empty', ''],
    ['with a space', 'two words'],
    ['too long', 'k'.repeat(256)],
    ['not ASCII', 'clé'],
  ])('refuses a key that is %s with 400, sending nothing', async (_name, key) => {
    const res = await send(beth, 'c1', { text: 'hi' }, key);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/Idempotency-Key must be 1-255 printable ASCII characters/);
    expect(delivered(h.events)).toEqual([]);
  });

  it('expires the answers: no mark outlives 15 minutes', async () => {
    expect((await send(beth, 'c1', { text: 'ttl' }, 'key-0007')).status).toBe(201);
    const marks = await h.store.keys('idem:');
    expect(marks).toHaveLength(1);
    expect(h.store.ttls.get(marks[0])).toBeLessThanOrEqual(15 * 60 * 1000);
    expect(h.store.ttls.get(marks[0])).toBeGreaterThan(0);
  });
});
