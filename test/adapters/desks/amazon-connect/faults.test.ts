/**
 * How the Amazon Connect connector meets Connect's failures, against the simulator: throttling
 * and 5xx on SendMessage are retried (a lost answer does not double the message: its
 * ClientToken), a persistent failure rejects with a retryable desk_unavailable (the broker tells
 * the user), the chat quota is desk_unavailable at once with a clear message, and availability
 * comes from the queue's metrics, cached, with the configured default on failure.
 */
import type { Store } from '../../../../bots/core/ports';
import { chatRequest } from '../../../contract/desk.contract';
import { connectProcess, contactOf, customerTexts, memoryStore } from '../../../helpers/amazon-connect-harness';
import { AmazonConnectSimulator } from '../../../simulators/amazon-connect/simulator';

let sim: AmazonConnectSimulator;
let store: Store;
let n = 0;

beforeEach(async () => {
  sim = await AmazonConnectSimulator.start();
  store = await memoryStore();
});
afterEach(async () => {
  await sim.close();
  await store.close();
});

const message = (text: string) => ({ messageId: `m-${++n}`, text, at: Date.now() });

async function opened(settings: Parameters<typeof connectProcess>[2] = {}) {
  const proc = connectProcess(sim, store, settings);
  const sessionId = `f-${++n}-${Date.now()}`;
  await proc.connector.openChat(chatRequest(sessionId));
  return { ...proc, sessionId, contactId: contactOf(sim, sessionId).initialContactId };
}

describe('Amazon Connect faults', () => {
  it('retries a throttled SendMessage and one whose 5xx came after Connect took it: the agent sees each message once', async () => {
    const { connector, sessionId } = await opened();
    sim.failNext('SendMessage', 2, 'throttle');
    await connector.sendMessage(sessionId, message('through the throttle'));
    sim.failNext('SendMessage', 1, 'server', { afterHandling: true });
    await connector.sendMessage(sessionId, message('answer lost once'));

    expect(customerTexts(sim, sessionId, 'text/markdown')).toEqual(['through the throttle', 'answer lost once']);
    const statuses = sim.calls('SendMessage').map((c) => c.status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    expect(statuses.filter((s) => s === 500)).toHaveLength(1);
    await connector.stop();
  });

  it('a persistent failure rejects with a retryable desk_unavailable after the configured attempts', async () => {
    const { connector, sessionId } = await opened({ settings: { retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 } } });
    const before = sim.calls('SendMessage').length;
    sim.failNext('SendMessage', 3, 'server');
    const failed = message('first try fails');
    await expect(connector.sendMessage(sessionId, failed)).rejects.toMatchObject({ code: 'desk_unavailable', retryable: true });
    expect(sim.calls('SendMessage').length - before).toBe(3);
    // Its de-duplication mark was forgotten: the broker's retry of the same message goes through.
    await connector.sendMessage(sessionId, failed);
    expect(customerTexts(sim, sessionId, 'text/markdown')).toEqual(['first try fails']);
    await connector.stop();
  });

  it("Connect's chat quota is desk_unavailable at once, saying no agent can take chats", async () => {
    const proc = connectProcess(sim, store);
    sim.failNext('StartChatContact', 1, 'quota');
    const error = await proc.connector.openChat(chatRequest(`q-${++n}`)).catch((e) => e);
    expect(error).toMatchObject({ code: 'desk_unavailable', retryable: false });
    expect(error.message).toContain('no agent can take chats right now');
    expect(sim.calls('StartChatContact')).toHaveLength(1);
    await proc.connector.stop();
  });

  it('a throttled StartChatContact is retried with the same ClientToken: one contact', async () => {
    const proc = connectProcess(sim, store);
    sim.failNext('StartChatContact', 1, 'throttle');
    sim.failNext('CreateParticipantConnection', 1, 'server');
    const sessionId = `t-${++n}`;
    await proc.connector.openChat(chatRequest(sessionId));
    expect(sim.calls('StartChatContact').map((c) => c.status)).toEqual([429, 200]);
    expect([...sim.state.contacts.values()].filter((c) => c.attributes.sessionId === sessionId)).toHaveLength(1);
    await proc.connector.stop();
  });

  it('availability: AGENTS_AVAILABLE in the configured queue, cached, and the default when the call fails or no queue is set', async () => {
    sim.setAgents({ available: 2, online: 3 });
    const cached = connectProcess(sim, store, { settings: { availability: { queueId: 'q-0000-simulated-chat-queue', cacheSeconds: 60 } } });
    await expect(cached.connector.checkAvailability()).resolves.toEqual({ available: true, agentsOnline: 3 });
    sim.setAgents({ available: 0, online: 0 });
    await expect(cached.connector.checkAvailability()).resolves.toEqual({ available: true, agentsOnline: 3 });
    expect(sim.calls('GetCurrentMetricData')).toHaveLength(1);

    const failing = connectProcess(sim, store, {
      settings: { availability: { queueId: 'q-0000-simulated-chat-queue', cacheSeconds: 0, whenUnknown: false }, retry: { attempts: 1 } },
    });
    sim.failNext('GetCurrentMetricData', 1, 'server');
    await expect(failing.connector.checkAvailability()).resolves.toEqual({ available: false });
    await expect(failing.connector.checkAvailability()).resolves.toEqual({ available: false, agentsOnline: 0 });

    const none = connectProcess(sim, store, { settings: { availability: { queueId: undefined } } });
    const calls = sim.calls('GetCurrentMetricData').length;
    await expect(none.connector.checkAvailability()).resolves.toEqual({ available: true });
    expect(sim.calls('GetCurrentMetricData')).toHaveLength(calls);
    for (const p of [cached, failing, none]) await p.connector.stop();
  });

  it('splits a message longer than Connect takes into parts, in order', async () => {
    const { connector, sessionId } = await opened({ settings: { messageMaxChars: 100 } });
    const long = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    await connector.sendMessage(sessionId, message(long));
    const parts = customerTexts(sim, sessionId, 'text/markdown');
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((p) => p.length <= 100)).toBe(true);
    expect(parts.join(' ')).toBe(long);
    await connector.stop();
  });
});
