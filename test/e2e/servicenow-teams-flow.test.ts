/**
 * The whole handoff through Teams with ServiceNow as the desk, on the wire: Bot Framework
 * activities POSTed to the real app, a fake Bot Connector recording what the bot sends, a fake
 * SharePoint serving the user's files, and the ServiceNow simulator acting as the instance and
 * its agents (posting the documented payloads to the bridge's webhook). Nothing is mocked.
 */
import { FILE_DOWNLOAD_INFO } from '../../bots/teams/inbound';
import {
  isDetails,
  isOffer,
  isWaiting,
  startBridgeHarness,
  type BridgeHarness,
  type SentCard,
  type TeamsUser,
} from '../helpers/bridge-harness';
import { eventually } from '../helpers/eventually';
import { startFakeFileServer, type FakeFileServer } from '../helpers/fake-file-server';
import { DEFAULT_OUTBOUND_AUTH, servicenowSettings } from '../helpers/servicenow-harness';
import { agentText } from '../simulators/servicenow/payloads';
import { ServiceNowSimulator, type SimConversation } from '../simulators/servicenow/simulator';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 7, 7, 7]);
const PDF = new Uint8Array(Buffer.from('%PDF-1.4 the VPN client log'));
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('Teams end to end, with ServiceNow Agent Chat as the desk', () => {
  let sim: ServiceNowSimulator;
  let h: BridgeHarness;
  let sharepoint: FakeFileServer;

  beforeEach(async () => {
    sim = await ServiceNowSimulator.start({ waitTime: '2 Minutes' });
    sharepoint = await startFakeFileServer();
    h = await startBridgeHarness({
      config: {
        desk: 'servicenow',
        servicenow: servicenowSettings(sim.url, {
          contextVariables: { LiveAgent_queue: 'vpn-queue-sysid' },
          incident: { enabled: true, shortDescriptionPrefix: 'Live chat: ' },
        }),
        bot: {
          topics: [{ id: 'network', label: 'Network and VPN' }],
          offer: { policy: 'availability', availabilityCacheSeconds: 0 },
        },
      },
    });
    sim.setOutbound(`${h.url}/servicenow/webhook`, DEFAULT_OUTBOUND_AUTH);
    sim.setAgentsOnline(2);
  });
  afterEach(async () => {
    await h.close();
    await sim.close();
    await sharepoint.close();
  });

  /** Ask, Start, details: the user is queued; resolves with the simulator's conversation. */
  async function queue(user: TeamsUser, description: string): Promise<{ conv: SimConversation; waiting: SentCard }> {
    await user.say('I need to talk to an agent');
    const offer = await user.waitForCard(isOffer);
    await user.click(offer, 'startChat');
    const details = await user.waitForCard(isDetails);
    await user.click(details, 'submitDetails', { description, topic: 'network' });
    const waiting = await user.waitForCard(isWaiting);
    const conv = await eventually(() => {
      const found = [...sim.conversations.values()].find((c) => c.opening.text.startsWith(description.split('\n')[0]));
      if (!found) throw new Error('not queued at ServiceNow yet');
      return found;
    });
    return { conv, waiting };
  }

  it('brokers the whole chat: availability, details, ticket, queue, agents, messages and files both ways, agent closes', async () => {
    const ana = h.teamsUser({ userName: 'Ana Lima', locale: 'fr-CA', localTimezone: 'America/Toronto' });

    // 1. Queue: the Start button shows because agents are available in AWA.
    const { conv, waiting } = await queue(ana, 'VPN drops every hour\nSince Monday, on Wi-Fi only');
    expect(sim.requests.some((r) => r.path === '/api/now/table/awa_agent_presence_capacity' && r.status === 200)).toBe(true);
    const [incident] = sim.incidents;
    expect(incident.short_description).toBe('Live chat: VPN drops every hour');
    expect(conv).toMatchObject({
      startAction: 'START_CONVERSATION',
      userId: ana.id,
      opening: {
        // The user's talk with the bot follows as a plain-text extract (servicenow.history: text).
        text: expect.stringMatching(
          new RegExp(
            `^VPN drops every hour\nSince Monday, on Wi-Fi only\n\nTopic: Network and VPN\nTicket: ${incident.number}\n\nConversation with the bot before the handoff:\n\\[[-0-9 :]+ UTC\\] User: I need to talk to an agent\n\\[[-0-9 :]+ UTC\\] Bot: `,
          ),
        ),
        contextVariables: expect.objectContaining({
          live_agent_only: 'true',
          topic: 'network',
          language: 'fr',
          region: 'CA',
          LiveAgent_queue: 'vpn-queue-sysid',
          incident_number: incident.number,
        }),
        clientVariables: expect.objectContaining({ bridgeSessionId: conv.id, surface: 'teams' }),
      },
    });
    expect(conv.opening.history).toEqual([]);
    await ana.waitForText(`I filed ${incident.number} for your request`);
    await ana.waitForText('Please stand by while I connect you to a live agent.');
    const estimate = await ana.waitForUpdate(waiting.activityId, (c) => /Estimated wait: about 2 min/.test(c.text));
    expect(estimate.actions.length).toBeGreaterThan(0); // still cancellable

    // 2. Written while queued: kept for the agent.
    await ana.say('It also happens at home');
    await eventually(() => expect(sim.received(conv.id)).toEqual(['It also happens at home']));

    // 3. Beth accepts: the user sees who joined (named by ServiceNow's "has entered" line, which
    //    carries no avatar), not ServiceNow's own line; the Cancel button goes.
    await sim.accept(conv.id, 0);
    await ana.waitForText('Beth Anglin joined the chat.');
    await ana.waitForUpdate(waiting.activityId, (c) => c.actions.length === 0 && /Connected to Beth Anglin/.test(c.text));
    expect(ana.texts().join('\n')).not.toContain('has entered the chat');

    // 4. Messages both ways, attributed; the agent sees a delivery receipt.
    const first = await sim.say(conv.id, 'Hi Ana, which client version? 🙂');
    await ana.waitForText('**Beth Anglin:** Hi Ana, which client version? 🙂');
    await eventually(() => expect(sim.conversation(conv.id).receipts).toContainEqual({ id: first, status: 'sent_to_user' }));
    await ana.say('5.2, see https://intranet.example/vpn');
    await eventually(() => expect(sim.received(conv.id)).toContain('5.2, see https://intranet.example/vpn'));

    // 5. The agent is typing: Teams shows it.
    await sim.typing(conv.id, true);
    await ana.connector.waitFor((r) => r.conversationId === ana.chat.conversationId && r.body.type === 'typing');

    // 6. A file from the user: ServiceNow downloads it from the bridge with the chat's header.
    const downloadUrl = sharepoint.serve('/personal/ana/_layouts/15/download.aspx?UniqueId=1&tempauth=t1', {
      body: PDF,
      contentType: 'application/pdf',
    });
    await ana.say('the client log', {
      attachments: [
        { contentType: 'text/html', content: '<p>the client log</p>' },
        {
          contentType: FILE_DOWNLOAD_INFO,
          name: 'vpn client.pdf',
          contentUrl: 'https://contoso-my.sharepoint.com/x/vpn client.pdf',
          content: { downloadUrl, uniqueId: 'u1', fileType: 'pdf' },
        },
      ],
    });
    const withFile = await eventually(() => {
      const m = sim.conversation(conv.id).messages.find((x) => x.attachment?.fileName === 'vpn client.pdf' && x.download);
      if (!m) throw new Error('not downloaded yet');
      return m;
    });
    expect(withFile.text).toBe('the client log');
    expect(withFile.download).toMatchObject({ status: 200, contentType: 'application/pdf' });
    expect(same(withFile.download!.bytes!, PDF)).toBe(true);
    expect(withFile.attachment!.url!.startsWith(`${h.url}/files/`)).toBe(true);
    expect((await fetch(withFile.attachment!.url!)).status).toBe(401); // the URL alone is not enough

    // 7. Files from the agent: an image shown inline and a document as a link, both from the bridge.
    await sim.sendFile(conv.id, { name: 'settings.png', contentType: 'image/png', bytes: PNG });
    const image = await ana.connector.waitFor(
      (r) =>
        r.conversationId === ana.chat.conversationId &&
        Array.isArray(r.body.attachments) &&
        (r.body.attachments as { name?: string }[]).some((a) => a.name === 'settings.png'),
    );
    const imageUrl = (image.body.attachments as { contentUrl: string }[])[0].contentUrl;
    expect(imageUrl.startsWith(`${h.url}/files/`)).toBe(true);
    expect(same(new Uint8Array(await (await fetch(imageUrl)).arrayBuffer()), PNG)).toBe(true);
    await sim.sendFile(conv.id, { name: 'vpn-guide.pdf', contentType: 'application/pdf', bytes: PDF });
    const link = await ana.waitForText('vpn-guide.pdf');
    expect(link).toMatch(/^\*\*Beth Anglin:\*\*\n\n📎 \[vpn-guide\.pdf\]\(http:\/\/127\.0\.0\.1:\d+\/files\//);
    expect(link).not.toContain('{');

    // 8. A second agent joins; each message is attributed to its own agent.
    await sim.accept(conv.id, 1);
    await ana.waitForText('Carl Moss joined the chat.');
    await sim.say(conv.id, 'Carl here: please update to 5.3.', { agentIndex: 1 });
    await ana.waitForText('**Carl Moss:** Carl here: please update to 5.3.');
    await sim.say(conv.id, 'Thanks Carl.', { agentIndex: 0 });
    await ana.waitForText('**Beth Anglin:** Thanks Carl.');

    // 9. Beth closes the chat: the user is told, and the VA's follow-up is not relayed.
    //    One closing message: ServiceNow's line with ours, not the desk's line and then the bot's.
    await sim.end(conv.id, 0);
    await ana.waitForText('Beth Anglin has closed the support session. You are back with the bot.');
    await sim.idle();
    await h.bridge.broker.idle();
    expect(ana.texts().filter((t) => /closed the support session|ended the chat|back with the bot/i.test(t))).toEqual([
      'Beth Anglin has closed the support session. You are back with the bot.',
    ]);
    // The waiting card no longer says "Connected to Beth Anglin".
    await ana.waitForUpdate(waiting.activityId, (c) => /Chat ended by the agent/.test(c.text) && !/Connected to/.test(c.text));
    expect(ana.texts().join('\n')).not.toContain('anything else');
    await ana.say('thanks, bye');
    await ana.waitForCard((c) => isOffer(c) && c.text.includes("can't help"));
    expect(sim.received(conv.id)).not.toContain('thanks, bye');
  });

  it('ends the chat at ServiceNow when the user types stop chat, and relays nothing after', async () => {
    const ben = h.teamsUser({ userName: 'Ben' });
    const { conv } = await queue(ben, 'Outlook keeps asking for my password');
    await sim.accept(conv.id);
    await ben.waitForText('Beth Anglin joined the chat.');
    await ben.say('Stop Chat');
    await ben.waitForText(/You ended the chat/);
    await eventually(() => expect(sim.conversation(conv.id)).toMatchObject({ status: 'ended', endedBy: 'user' }));
    await sim.idle();
    await h.bridge.broker.idle();
    // ServiceNow's "The conversation has ended" echo is ours; the user already heard it from the bot.
    expect(ben.texts().join('\n')).not.toContain('Thank you for contacting us');
    expect(sim.conversation(conv.id).afterEnd).toEqual([]);
  });

  it('tells the user when ServiceNow keeps failing on a send, after retrying', async () => {
    const cy = h.teamsUser({ userName: 'Cy' });
    const { conv } = await queue(cy, 'Printer on floor 3 is jammed');
    await sim.accept(conv.id);
    await cy.waitForText('Beth Anglin joined the chat.');
    sim.failNext(1, { status: 500 });
    await cy.say('retried once');
    await eventually(() => expect(sim.received(conv.id)).toEqual(['retried once']));
    sim.failNext(3, { status: 503 });
    await cy.say('this one is lost');
    await cy.waitForText('Your last message could not be delivered to the agent.');
    const attempts = sim.requests.filter((r) => r.status === 503);
    expect(attempts).toHaveLength(3);
  });

  it("relays ServiceNow's queue timeout with its own words", async () => {
    const dee = h.teamsUser({ userName: 'Dee' });
    const { conv, waiting } = await queue(dee, 'Need a new badge');
    await sim.timeout(conv.id);
    await dee.waitForText('Your conversation with a live agent has timed out. You are back with the bot.');
    await dee.waitForUpdate(waiting.activityId, (c) => c.actions.length === 0 && /No agent was available/.test(c.text));
    await h.bridge.broker.idle();
    expect(dee.texts().filter((t) => /timed out|No agent could take/.test(t))).toHaveLength(1);
  });

  it('shows a redelivered agent message once, and ignores a forged webhook', async () => {
    const eve = h.teamsUser({ userName: 'Eve' });
    const { conv } = await queue(eve, 'Laptop fan is loud');
    await sim.accept(conv.id);
    await eve.waitForText('Beth Anglin joined the chat.');
    const payload = agentText(sim.conversation(conv.id), sim.agents[0], 'said once', 'dup-1');
    await sim.post(conv.id, payload);
    await sim.post(conv.id, payload);
    const forged = await sim.post(conv.id, agentText(sim.conversation(conv.id), sim.agents[0], 'forged'), {
      mode: 'header',
      headers: { token: 'wrong-secret-000000000' },
    });
    expect(forged.status).toBe(401);
    await eve.waitForText('**Beth Anglin:** said once');
    await h.bridge.broker.idle();
    await new Promise((r) => setTimeout(r, 100));
    expect(eve.texts().filter((t) => t.includes('said once'))).toHaveLength(1);
    expect(eve.texts().join()).not.toContain('forged');
  });

  it('hides the Start button when no agent is available in AWA', async () => {
    sim.setAgentsOnline(0);
    const fay = h.teamsUser({ userName: 'Fay' });
    await fay.say('I need to talk to an agent');
    const offer = await fay.waitForCard((c) => c.text.includes('connect you with a live agent'));
    expect(offer.actions.map((a) => (a.data as { lab?: string } | undefined)?.lab)).not.toContain('startChat');
  });
});
