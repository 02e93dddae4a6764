/**
 * Memory is bounded (issue 11 item 7) on the ServiceNow desk too: the per-message marks it
 * keeps (a user message relayed once: `sn:sent:*`; an agent payload delivered once:
 * `sn:payload:*`) are gone 15 minutes after the message, not an hour.
 */
import { chatRequest } from '../contract/desk.contract';
import { eventually } from '../helpers/eventually';
import { testClock } from '../helpers/console-harness';
import { startServiceNowHarness, type ServiceNowHarness } from '../helpers/servicenow-harness';

const FIFTEEN_MINUTES = 15 * 60 * 1000;

describe('ServiceNow per-message marks', () => {
  let h: ServiceNowHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('expire within 15 minutes of the message, while the chat itself stays', async () => {
    let offset = 0;
    const clock = { now: () => Date.now() + offset, setTimer: testClock.setTimer };
    h = await startServiceNowHarness({ clock });
    const id = `sn-ttl-${Date.now().toString(36)}`;
    await h.desk.openChat(chatRequest(id));
    await h.sim.accept(id);
    await eventually(() => expect(h!.events.some((e) => e.sessionId === id && e.type === 'agentJoined')).toBe(true));
    await h.desk.sendMessage(id, { messageId: `${id}-m1`, text: 'hello agent', at: Date.now() });
    await h.sim.say(id, 'hello user');
    await eventually(() => expect(h!.events.some((e) => e.sessionId === id && e.type === 'agentMessage')).toBe(true));
    expect(await h.store.keys('sn:sent:')).toHaveLength(1);
    expect((await h.store.keys('sn:payload:')).length).toBeGreaterThan(0);

    offset = FIFTEEN_MINUTES + 1000;
    expect(await h.store.keys('sn:sent:')).toEqual([]);
    expect(await h.store.keys('sn:payload:')).toEqual([]);
    expect(await h.store.keys(`sn:chat:${id}`)).toEqual([`sn:chat:${id}`]);
  });
});
