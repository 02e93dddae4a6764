/**
 * The whole handoff through Teams with Amazon Connect as the desk, on the wire: Bot Framework
 * activities POSTed to the real app, a fake Bot Connector recording what the bot sends, and the
 * Amazon Connect simulator as the instance and its agents (AWS's SDK clients and a WebSocket per
 * chat talk to it). The desk runs as the bridge runs it, under the core's ChatStreamOwner.
 */
import {
  isDetails,
  isOffer,
  isWaiting,
  startBridgeHarness,
  type BridgeHarness,
  type SentCard,
  type TeamsUser,
} from '../helpers/bridge-harness';
import { FILE_DOWNLOAD_INFO } from '../../bots/teams/inbound';
import { useSimulatorCredentials } from '../helpers/amazon-connect-harness';
import { startFakeFileServer, type FakeFileServer } from '../helpers/fake-file-server';
import { eventually } from '../helpers/eventually';
import { AmazonConnectSimulator, SIM_DEFAULTS, type SimContact } from '../simulators/amazon-connect/simulator';

const PDF = new Uint8Array(Buffer.from('%PDF-1.4 how to reset the VPN client'));

describe('Teams end to end, with Amazon Connect as the desk', () => {
  let sim: AmazonConnectSimulator;
  let h: BridgeHarness;
  let sharepoint: FakeFileServer;

  beforeEach(async () => {
    sim = await AmazonConnectSimulator.start();
    sharepoint = await startFakeFileServer();
    useSimulatorCredentials(sim);
    const env = sim.env();
    h = await startBridgeHarness({
      config: {
        desk: 'amazon-connect',
        'amazon-connect': {
          instanceId: env.AMAZON_CONNECT_INSTANCE_ID,
          contactFlowId: env.AMAZON_CONNECT_CONTACT_FLOW_ID,
          region: env.AWS_REGION,
          endpoint: env.AMAZON_CONNECT_ENDPOINT,
          participantEndpoint: env.AMAZON_CONNECT_PARTICIPANT_ENDPOINT,
          availability: { queueId: SIM_DEFAULTS.queueId, cacheSeconds: 0 },
          retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 200 },
        },
        bot: {
          topics: [{ id: 'network', label: 'Network and VPN' }],
          offer: { policy: 'availability', availabilityCacheSeconds: 0 },
        },
      },
    });
    sim.setAgents({ available: 2, online: 2 });
  });
  afterEach(async () => {
    await h.close();
    await sim.close();
    await sharepoint.close();
  });

  /** Ask, Start, details: the user is queued at Connect; resolves with the contact. */
  async function queue(user: TeamsUser, name: string, description: string): Promise<{ contact: SimContact; waiting: SentCard }> {
    await user.say('I need to talk to an agent');
    const offer = await user.waitForCard(isOffer);
    await user.click(offer, 'startChat');
    const details = await user.waitForCard(isDetails);
    await user.click(details, 'submitDetails', { description, topic: 'network' });
    const waiting = await user.waitForCard(isWaiting);
    const contact = await eventually(() => {
      const found = [...sim.state.contacts.values()].find((c) => c.attributes.userName === name);
      if (!found) throw new Error('not queued at Connect yet');
      return found;
    });
    // The chat's socket is open and subscribed: agent items from now on reach the bridge live.
    await eventually(() => expect(sim.hub.open(contact.initialContactId).some((s) => s.subscribed)).toBe(true));
    return { contact, waiting };
  }

  const said = (contact: SimContact) =>
    sim
      .customerItems(contact.initialContactId)
      .filter((i) => i.Type === 'MESSAGE' && i.ContentType === 'text/markdown')
      .map((i) => i.Content);

  it('brokers the whole chat: availability, details, queue, agent joins, messages and files both ways, transfer, agent ends', async () => {
    const ana = h.teamsUser({ userName: 'Ana Lima', locale: 'fr-CA' });

    // 1. Queue: the Start button shows because the queue has agents available.
    const { contact, waiting } = await queue(ana, 'Ana Lima', 'VPN drops every hour\nSince Monday, on Wi-Fi only');
    expect(sim.calls('GetCurrentMetricData').some((c) => c.status === 200)).toBe(true);
    expect(contact.attributes).toMatchObject({ surface: 'teams', topic: 'network', language: 'fr', region: 'CA', userName: 'Ana Lima' });
    expect(contact.customer.displayName).toBe('Ana Lima');
    const opening = sim.customerItems(contact.initialContactId).filter((i) => i.Type === 'MESSAGE');
    expect(opening[0].Content).toMatch(/^VPN drops every hour/);
    expect(opening.map((i) => i.Content).join('\n')).toContain('User: I need to talk to an agent');

    // 2. Written while queued: Connect keeps it for the agent.
    await ana.say('It also happens at home');
    await eventually(() => expect(said(contact)).toEqual(['It also happens at home']));

    // 3. The flow's queue notice, then Beth accepts.
    sim.agent.system(contact.initialContactId, 'Thanks for waiting, an agent will be with you shortly.');
    await ana.waitForText('Thanks for waiting, an agent will be with you shortly.');
    sim.agent.join(contact.initialContactId, 'Beth Anglin');
    await ana.waitForText('Beth Anglin joined the chat.');
    await ana.waitForUpdate(waiting.activityId, (c) => c.actions.length === 0 && /Connected to Beth Anglin/.test(c.text));

    // 4. Messages both ways, attributed; typing shown.
    sim.agent.say(contact.initialContactId, 'Hi Ana, which client version?');
    await ana.waitForText('**Beth Anglin:** Hi Ana, which client version?');
    await ana.say('5.2, see https://intranet.example/vpn');
    await eventually(() => expect(said(contact)).toContain('5.2, see https://intranet.example/vpn'));
    sim.agent.typing(contact.initialContactId);
    await ana.connector.waitFor((r) => r.conversationId === ana.chat.conversationId && r.body.type === 'typing');

    // 5. A file from the agent reaches Teams from the bridge.
    sim.agent.sendFile(contact.initialContactId, { name: 'vpn-guide.pdf', contentType: 'application/pdf', bytes: PDF });
    const link = await ana.waitForText('vpn-guide.pdf');
    const url = /\((http:\/\/127\.0\.0\.1:\d+\/files\/[^)]+)\)/.exec(link)?.[1];
    expect(url).toBeDefined();
    expect(Buffer.from(await (await fetch(url!)).arrayBuffer()).equals(Buffer.from(PDF))).toBe(true);

    // 6. A file from the user: uploaded to Connect (StartAttachmentUpload, PUT, Complete).
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
    await eventually(() =>
      expect(sim.customerItems(contact.initialContactId).find((i) => i.Type === 'ATTACHMENT')?.Attachments?.[0]).toMatchObject({
        AttachmentName: 'vpn client.pdf',
        ContentType: 'application/pdf',
        Status: 'APPROVED',
      }),
    );
    expect(said(contact)).toContain('the client log');
    // A file type Connect does not take: the user is told, the agent gets the text only.
    const zipUrl = sharepoint.serve('/personal/ana/_layouts/15/download.aspx?UniqueId=2&tempauth=t2', {
      body: new Uint8Array([0x50, 0x4b, 3, 4]),
      contentType: 'application/zip',
    });
    await ana.say('and the config', {
      attachments: [
        { contentType: 'text/html', content: '<p>and the config</p>' },
        {
          contentType: FILE_DOWNLOAD_INFO,
          name: 'config.zip',
          contentUrl: 'https://contoso-my.sharepoint.com/x/config.zip',
          content: { downloadUrl: zipUrl, uniqueId: 'u2', fileType: 'zip' },
        },
      ],
    });
    await ana.waitForText(/config\.zip was not sent to the agent: the agent's desk does not take/);
    expect(said(contact)).toContain('and the config');
    expect(sim.customerItems(contact.initialContactId).filter((i) => i.Type === 'ATTACHMENT')).toHaveLength(1);

    // 7. Transfer to Carl: Beth leaves, Carl joins, and his messages are his.
    sim.agent.transfer(contact.initialContactId, 'Carl Moss');
    await ana.waitForText('Beth Anglin left the chat.');
    await ana.waitForText('Carl Moss joined the chat.');
    sim.agent.say(contact.initialContactId, 'Carl here: please update to 5.3.');
    await ana.waitForText('**Carl Moss:** Carl here: please update to 5.3.');
    await ana.say('updating now');
    await eventually(() => expect(said(contact)).toContain('updating now'));

    // 8. Carl ends the chat: the user is told once, and is back with the bot.
    sim.agent.end(contact.initialContactId);
    await ana.waitForText('The agent ended the chat. You are back with the bot.');
    await h.bridge.broker.idle();
    expect(ana.texts().filter((t) => /ended the chat/.test(t))).toHaveLength(1);
    await ana.say('thanks, bye');
    await h.bridge.broker.idle();
    expect(said(contact)).not.toContain('thanks, bye');
  });

  it('ends the chat at Connect when the user types stop chat, and relays nothing after', async () => {
    const ben = h.teamsUser({ userName: 'Ben' });
    const { contact } = await queue(ben, 'Ben', 'Outlook keeps asking for my password');
    sim.agent.join(contact.initialContactId, 'Beth Anglin');
    await ben.waitForText('Beth Anglin joined the chat.');
    await ben.say('Stop Chat');
    await ben.waitForText(/You ended the chat/);
    await eventually(() => expect(sim.contact(contact.initialContactId).status).toBe('ended'));
    expect(sim.calls('DisconnectParticipant').map((c) => c.status)).toEqual([200]);
    await h.bridge.broker.idle();
    // Connect's chat.ended after our disconnect is not told to the user as the agent's end.
    expect(ben.texts().join('\n')).not.toContain('The agent ended the chat');
  });

  it('retries a throttled and a failed send, and tells the user when Connect keeps failing', async () => {
    const cy = h.teamsUser({ userName: 'Cy' });
    const { contact } = await queue(cy, 'Cy', 'Printer on floor 3 is jammed');
    sim.agent.join(contact.initialContactId, 'Beth Anglin');
    await cy.waitForText('Beth Anglin joined the chat.');
    sim.failNext('SendMessage', 1, 'throttle');
    sim.failNext('SendMessage', 1, 'server');
    await cy.say('retried twice');
    await eventually(() => expect(said(contact)).toEqual(['retried twice']));
    sim.failNext('SendMessage', 3, 'server');
    await cy.say('this one is lost');
    await cy.waitForText('Your last message could not be delivered to the agent.');
    expect(said(contact)).toEqual(['retried twice']);
  });

  it('hides the Start button when no agent is available in the queue', async () => {
    sim.setAgents({ available: 0, online: 0 });
    const fay = h.teamsUser({ userName: 'Fay' });
    await fay.say('I need to talk to an agent');
    const offer = await fay.waitForCard((c) => c.text.length > 0);
    expect(isOffer(offer)).toBe(false);
  });
});
