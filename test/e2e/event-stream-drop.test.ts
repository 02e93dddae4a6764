/**
 * Slow readers of the bridge's event streams (console and web chat): a reader that stops reading
 * is dropped once its stream holds more than `server.eventStreamMaxBufferedBytes`, the drop is
 * counted in /metrics, and a reader that comes back finds everything in its state. Real HTTP:
 * the stalled readers are raw sockets that never read. (That a reader keeping up is left alone is
 * in test/bots/http/event-stream.test.ts: here the readers would share the bridge's event loop.)
 */
import net from 'node:net';
import { startBridgeHarness, type BridgeHarness } from '../helpers/bridge-harness';
import type { ConsoleEventReader } from '../helpers/console-agent';
import { eventually } from '../helpers/eventually';
import { hasButton, isDetailsCard, WebChatUser } from '../helpers/web-user';

jest.setTimeout(120_000);

/** More than the kernel's socket buffers on loopback (a few MB) and the limit together. */
const MESSAGES = 600;
const TEXT = 'x'.repeat(9_990);

/** Asks for an event stream and never reads a byte of it. */
async function stalledReader(url: string, path: string, token: string): Promise<net.Socket> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`);
  socket.pause();
  return socket;
}

async function dropped(h: BridgeHarness): Promise<Record<string, number>> {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  return Object.fromEntries(
    [...text.matchAll(/^lab_event_stream_dropped_total\{stream="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]),
  );
}

describe('event streams and readers that stop reading', () => {
  let h: BridgeHarness;
  const sockets: net.Socket[] = [];
  let bethStream: ConsoleEventReader | undefined;
  let user: WebChatUser | undefined;
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await bethStream?.close();
    await user?.disconnect();
    await h.close();
  });

  it('drops the stalled console and web chat readers, counts them, and a reconnect reloads what they missed', async () => {
    h = await startBridgeHarness({ config: { server: { eventStreamMaxBufferedBytes: 64 * 1024 } } });
    expect(await dropped(h)).toEqual({ console: 0, web: 0 });
    bethStream = await h.beth.events(); // an agent online, so the user can ask for one
    user = await WebChatUser.start(h.url);
    await user.say('agent');
    await user.click(await user.waitForCard(hasButton('startChat')), 'startChat');
    await user.click(await user.waitForCard(isDetailsCard), 'submitDetails', { description: 'Screen flickers' });
    const chatId = await eventually(async () => {
      const found = (await h.beth.chats()).find((c) => c.title === 'Screen flickers');
      if (!found) throw new Error('not queued yet');
      return found.id;
    });
    await h.beth.accept(chatId);
    // From now on the only readers are two that stopped reading: Carl's console, the user's chat.
    await bethStream.close();
    await user.disconnect();
    sockets.push(await stalledReader(h.url, '/console/api/events', h.carl.token));
    sockets.push(await stalledReader(h.url, '/chat/api/events', user.credential));
    await eventually(async () => expect((await h.bridge.desk.checkAvailability()).agentsOnline).toBe(1));

    // A burst of agent messages: each goes to every console stream and to the user's streams.
    for (let i = 0; i < MESSAGES; i += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, j) => h.beth.post(chatId, `${i + j} ${TEXT}`)));
    }

    await eventually(async () => expect(await dropped(h)).toEqual({ console: 1, web: 1 }));
    // Carl's stalled stream is gone: he is offline now.
    expect((await h.bridge.desk.checkAvailability()).agentsOnline).toBe(0);

    // What a page does when its stream ends: reconnect, then reload its state; nothing is missing.
    await user.connect();
    const history = await user.history(); // (the web chat keeps its latest 300 entries)
    expect(history.entries.at(-1)?.text).toBe(`${MESSAGES - 1} ${TEXT}`);
    expect((await h.carl.chat(chatId)).messages.filter((m) => m.text.endsWith(TEXT))).toHaveLength(MESSAGES);
  });
});
