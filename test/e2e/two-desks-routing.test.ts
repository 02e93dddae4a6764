/**
 * Two desks at once, routed by rule, on the wire: the real app with the ServiceNow simulator as
 * the IT desk and the built-in console as the HR desk. Teams users pick a topic; IT topics go to
 * ServiceNow and HR topics to the console, and while ServiceNow has nobody online (or cannot be
 * asked) IT chats fall back to the console. Nothing in between is mocked.
 */
import { DeskRouter } from '../../bots/core/desk-router';
import { signEmbedToken } from '../../bots/web/identity';
import { isDetails, isOffer, isWaiting, startBridgeHarness, type BridgeHarness, type TeamsUser } from '../helpers/bridge-harness';
import type { ConsoleEventReader } from '../helpers/console-agent';
import { eventually } from '../helpers/eventually';
import { hasButton, isDetailsCard, WebChatUser } from '../helpers/web-user';
import { DEFAULT_OUTBOUND_AUTH, servicenowSettings } from '../helpers/servicenow-harness';
import { ServiceNowSimulator } from '../simulators/servicenow/simulator';

const WEB_SECRET = 'two-desks-web-secret-0123456789abcdef';

describe('two desks at once: ServiceNow for IT, the console for HR, the console as the fallback', () => {
  let sim: ServiceNowSimulator;
  let h: BridgeHarness;
  let bethOnline: ConsoleEventReader;

  beforeEach(async () => {
    sim = await ServiceNowSimulator.start();
    h = await startBridgeHarness({
      config: {
        desks: [
          { id: 'it', system: 'servicenow', ...servicenowSettings(sim.url) },
          { id: 'hr', system: 'console' },
        ],
        routing: [
          { when: { topic: ['benefits', 'payroll'] }, desk: 'hr' },
          // HR staff on the intranet (the web token says so) go to the console whatever the topic.
          { when: { surface: ['web'], attributes: { department: ['hr'] } }, desk: 'hr' },
          { desk: 'it', fallback: ['hr'] },
        ],
        web: { secret: WEB_SECRET },
        bot: {
          topics: [
            { id: 'network', label: 'Network and VPN' },
            { id: 'benefits', label: 'Benefits' },
            { id: 'payroll', label: 'Payroll' },
          ],
          offer: { policy: 'availability', availabilityCacheSeconds: 0 },
        },
      },
    });
    sim.setOutbound(`${h.url}/servicenow/webhook`, DEFAULT_OUTBOUND_AUTH);
    sim.setAgentsOnline(1);
    // A console agent counts as online while their event stream is open.
    bethOnline = await h.beth.events();
  });
  afterEach(async () => {
    await bethOnline?.close();
    await h?.close();
    await sim.close();
  });

  /** Ask, Start, describe with a topic: resolves once the bot shows the waiting card. */
  async function queue(user: TeamsUser, description: string, topic: string): Promise<void> {
    await user.say('I need to talk to an agent');
    const offer = await user.waitForCard(isOffer);
    await user.click(offer, 'startChat');
    const details = await user.waitForCard(isDetails);
    await user.click(details, 'submitDetails', { description, topic });
    await user.waitForCard(isWaiting);
  }

  const consoleChat = (title: string) =>
    eventually(async () => {
      const found = (await h.beth.chats()).find((c) => c.title === title);
      if (!found) throw new Error(`"${title}" not in the console yet`);
      return found;
    });
  const serviceNowChat = (title: string) =>
    eventually(() => {
      const found = [...sim.conversations.values()].find((c) => c.opening.text.startsWith(title));
      if (!found) throw new Error(`"${title}" not at ServiceNow yet`);
      return found;
    });

  it('runs both desks behind one router, each mounting its own routes', () => {
    expect(h.bridge.desk).toBeInstanceOf(DeskRouter);
    expect(h.bridge.desks.map((d) => [d.id, d.system])).toEqual([
      ['it', 'servicenow'],
      ['hr', 'console'],
    ]);
    expect(h.bridge.banner(h.url).join('\n')).toMatch(/Desk "it" \(servicenow\):[\s\S]*Desk "hr" \(console\):[\s\S]*Agent console:/);
  });

  it('an IT topic goes to ServiceNow and an HR topic to the console, each chat staying with its desk', async () => {
    const ana = h.teamsUser({ userName: 'Ana Lima' });
    const bob = h.teamsUser({ userName: 'Bob Stone' });

    await queue(ana, 'VPN drops every hour', 'network');
    const it = await serviceNowChat('VPN drops every hour');
    await queue(bob, 'When does open enrolment start?', 'benefits');
    const hr = await consoleChat('When does open enrolment start?');

    // Neither desk saw the other's chat.
    expect((await h.beth.chats()).map((c) => c.title)).not.toContain('VPN drops every hour');
    expect([...sim.conversations.values()].map((c) => c.opening.text)).not.toEqual(
      expect.arrayContaining([expect.stringContaining('open enrolment')]),
    );

    // Both ways on each desk, attributed to its agent.
    await sim.accept(it.id, 0);
    await sim.say(it.id, 'Which VPN client version?');
    await ana.waitForText(/Which VPN client version\?/);
    await ana.say('5.2');
    await eventually(() => expect(sim.received(it.id)).toContain('5.2'));

    await h.beth.accept(hr.id);
    await bob.waitForCard((c) => c.text.includes('Beth joined the chat'));
    await h.beth.post(hr.id, 'Next Monday.');
    await bob.waitForText('**Beth:** Next Monday.');
    await bob.say('Thanks!');
    await eventually(async () => expect((await h.beth.messages(hr.id)).map((m) => m.text)).toContain('Thanks!'));
    expect(sim.received(it.id)).not.toContain('Thanks!');

    // Ending goes to the chat's own desk too.
    await bob.say('stop chat');
    await eventually(async () => expect((await h.beth.chat(hr.id)).status).toBe('ended'));
    expect(sim.conversation(it.id).status).not.toBe('ended');
  });

  it('while ServiceNow has nobody online, an IT chat falls back to the console; once agents are back it goes to ServiceNow', async () => {
    sim.setAgentsOnline(0);
    const carl = h.teamsUser({ userName: 'Carl Jones' });
    // The offer asks the desk the chat would go to, after its fallback: the console has Beth.
    await queue(carl, 'Printer on floor 3 is offline', 'network');
    const fallenBack = await consoleChat('Printer on floor 3 is offline');
    expect(fallenBack.status).toBe('queued');
    expect([...sim.conversations.values()]).toEqual([]);

    sim.setAgentsOnline(1);
    const dana = h.teamsUser({ userName: 'Dana White' });
    await queue(dana, 'Outlook asks for my password', 'network');
    await serviceNowChat('Outlook asks for my password');
    expect((await h.beth.chats()).map((c) => c.title)).not.toContain('Outlook asks for my password');
  });

  it('while ServiceNow cannot even be asked (its availability API fails), IT chats fall back to the console', async () => {
    sim.failNext(20, { path: '/api/now/table/awa_agent_presence_capacity', status: 503 });
    const erin = h.teamsUser({ userName: 'Erin Hale' });
    await queue(erin, 'Cannot reach the wiki', 'network');
    await consoleChat('Cannot reach the wiki');
    expect([...sim.conversations.values()]).toEqual([]);
  });

  it('an attribute the web token vouches for routes the chat (department: hr to the console)', async () => {
    const exp = Math.floor(Date.now() / 1000) + 300;
    const sign = (sub: string, attributes?: Record<string, string>) =>
      signEmbedToken({ sub, name: sub, exp, ...(attributes ? { attributes } : {}) }, WEB_SECRET);
    const queueOnWeb = async (user: WebChatUser, description: string) => {
      await user.say('I need to talk to an agent');
      await user.click(await user.waitForCard(hasButton('startChat')), 'startChat');
      await user.click(await user.waitForCard(isDetailsCard), 'submitDetails', { description, topic: 'network' });
    };
    const hrStaff = await WebChatUser.start(h.url, { token: sign('e-hr', { department: 'HR' }) });
    const engineer = await WebChatUser.start(h.url, { token: sign('e-eng', { department: 'engineering' }) });
    try {
      await queueOnWeb(hrStaff, 'My laptop is slow');
      await consoleChat('My laptop is slow');
      await queueOnWeb(engineer, 'My monitor flickers');
      await serviceNowChat('My monitor flickers');
      expect((await h.beth.chats()).map((c) => c.title)).not.toContain('My monitor flickers');
    } finally {
      await hrStaff.close();
      await engineer.close();
    }
  });
});
