/**
 * What the console shares between processes, on one store without Redis: two desks stand for two
 * processes. Who is online (and how soon a dead process's agents stop counting), and the live
 * channel that carries stream events to the other processes but never back to their publisher.
 */
import type { AgentInfo } from '../../../../bots/core/ports';
import { ConsoleDesk } from '../../../../adapters/desks/console/desk';
import { PRESENCE_KEY, PRESENCE_RENEW_MS, PRESENCE_TTL_MS } from '../../../../adapters/desks/console/presence';
import type { EventStream } from '../../../../adapters/desks/console/sse';
import { KeyvStore } from '../../../../adapters/store';
import { LiveChannel } from '../../../../bots/core/live-channel';
import { ManualClock } from '../../../helpers/console-clock';
import { RecordingLogger, TEST_AGENTS } from '../../../helpers/console-harness';
import { RecordingStore } from '../../../helpers/recording-store';
import { chatRequest } from '../../../contract/desk.contract';
import { eventually } from '../../../helpers/eventually';

const beth: AgentInfo = { id: 'beth', name: 'Beth Ortiz' };
const sam: AgentInfo = { id: 'sam', name: 'Sam Lee' };

function stream(): EventStream {
  return { send: () => undefined, comment: () => undefined, close: () => undefined };
}

function desk(store: RecordingStore, clock: ManualClock): ConsoleDesk {
  return new ConsoleDesk({ store, clock, logger: new RecordingLogger(), settings: { agents: TEST_AGENTS, recentChatsHours: 24 } });
}

const online = async (d: ConsoleDesk) => (await d.checkAvailability()).agentsOnline;

describe('console agents online across processes', () => {
  it('counts agents of every process, and stops counting a dead process within PRESENCE_TTL_MS', async () => {
    const start = Date.UTC(2025, 0, 6, 9);
    // The dead process's clock never moves again: its renewals never run, as after kill -9.
    const deadClock = new ManualClock(start);
    const clock = new ManualClock(start);
    const store = new RecordingStore(() => clock.now());
    const dying = desk(store, deadClock);
    const alive = desk(store, clock);
    dying.connectAgent(beth, stream());
    alive.connectAgent(sam, stream());
    await eventually(async () => expect(await online(alive)).toBe(2));
    expect(await online(dying)).toBe(2);

    // The living process renews its entry while its agent stays.
    const table = async () => (await store.get<Record<string, { agents: string[]; until: number }>>(PRESENCE_KEY)) ?? {};
    for (let t = PRESENCE_RENEW_MS; t < PRESENCE_TTL_MS; t += PRESENCE_RENEW_MS) {
      clock.advance(PRESENCE_RENEW_MS);
      await eventually(async () => {
        const sams = Object.values(await table()).find((e) => e.agents.includes('sam'));
        expect(sams?.until).toBe(clock.now() + PRESENCE_TTL_MS);
      });
    }
    clock.advance(PRESENCE_TTL_MS - 1 - (clock.now() - start));
    expect(await online(alive)).toBe(2);
    clock.advance(1);
    // Beth's process stopped renewing: from its deadline on she is not counted; Sam still is.
    expect(await online(alive)).toBe(1);
  });

  it('a stream that closes cleanly stops counting at once in the other process', async () => {
    const clock = new ManualClock();
    const store = new RecordingStore(() => clock.now());
    const here = desk(store, clock);
    const there = desk(store, clock);
    const disconnect = here.connectAgent(beth, stream());
    await eventually(async () => expect(await online(there)).toBe(1));
    disconnect();
    await eventually(async () => expect(await online(there)).toBe(0));
    expect(await online(here)).toBe(0);
  });
});

describe('console chat writes across processes', () => {
  it('two processes writing one chat at once: every write lands (accepts, messages), none erases another', async () => {
    const clock = new ManualClock();
    const store = new RecordingStore(() => clock.now());
    const [one, two] = [desk(store, clock), desk(store, clock)];
    for (const d of [one, two]) await d.start(async () => undefined);
    const ids = ['c-1', 'c-2', 'c-3'];
    await Promise.all(ids.map((id, i) => (i % 2 ? one : two).openChat(chatRequest(id))));
    expect((await one.listChats()).map((c) => c.id).sort()).toEqual(ids);
    await Promise.all(ids.flatMap((id) => [one.accept(beth, id), two.accept(sam, id)]));
    await Promise.all(
      ids.flatMap((id) => [
        one.sendMessage(id, { messageId: `u-${id}`, text: 'from the user', at: clock.now() }),
        two.postMessage(beth, id, { text: 'from Beth' }),
      ]),
    );
    for (const id of ids) {
      const chat = await two.getChat(id);
      expect(chat.agents.map((a) => a.id).sort()).toEqual(['beth', 'sam']);
      expect(chat.messages.filter((m) => /joined the chat/.test(m.text)).length).toBe(2);
      // The summary counts every message either process appended.
      expect((await one.listChats()).find((c) => c.id === id)?.messageCount).toBe(chat.messages.length);
    }
  });
});

describe('LiveChannel', () => {
  it('carries a message to the other subscribers of the store, never back to its publisher', async () => {
    const store = KeyvStore.memory(`live-${Date.now()}`);
    const logger = new RecordingLogger();
    const got = { one: [] as number[], two: [] as number[] };
    const one = new LiveChannel<number>({ store, logger, channel: 'c' }, (m) => void got.one.push(m));
    const two = new LiveChannel<number>({ store, logger, channel: 'c' }, (m) => void got.two.push(m));
    one.publish(0); // not started: nothing is published
    await one.start();
    await two.start();
    one.publish(1);
    two.publish(2);
    one.publish(3);
    await eventually(() => {
      expect(got.two).toEqual([1, 3]);
      expect(got.one).toEqual([2]);
    });
    await one.stop();
    await two.stop();
    await store.close();
  });
});
