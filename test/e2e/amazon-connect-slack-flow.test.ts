/**
 * The handoff through Slack with Amazon Connect as the desk, on the wire: signed Slack requests
 * to the real app, Bolt's Web API client against a fake Slack, and the Amazon Connect simulator
 * as the instance and its agents (AWS's SDK clients and a WebSocket per chat).
 */
import { useSimulatorCredentials } from '../helpers/amazon-connect-harness';
import { eventually } from '../helpers/eventually';
import type { FakeMessage } from '../helpers/fake-slack';
import { hasButton, startSlackHarness, statusLineOf, type SlackHarness, type SlackUser } from '../helpers/slack-harness';
import { AmazonConnectSimulator, type SimContact } from '../simulators/amazon-connect/simulator';

describe('Slack end to end, with Amazon Connect as the desk', () => {
  let sim: AmazonConnectSimulator;
  let h: SlackHarness;

  beforeEach(async () => {
    sim = await AmazonConnectSimulator.start();
    useSimulatorCredentials(sim);
    const env = sim.env();
    h = await startSlackHarness({
      config: {
        desk: 'amazon-connect',
        'amazon-connect': {
          instanceId: env.AMAZON_CONNECT_INSTANCE_ID,
          contactFlowId: env.AMAZON_CONNECT_CONTACT_FLOW_ID,
          region: env.AWS_REGION,
          endpoint: env.AMAZON_CONNECT_ENDPOINT,
          participantEndpoint: env.AMAZON_CONNECT_PARTICIPANT_ENDPOINT,
        },
        bot: { topics: [{ id: 'network', label: 'Network and VPN' }] },
      },
    });
  });
  afterEach(async () => {
    await h.close();
    await sim.close();
  });

  async function queue(user: SlackUser, name: string, description: string): Promise<{ contact: SimContact; waiting: FakeMessage }> {
    const before = h.slack.views.length;
    await user.say('I need to talk to an agent');
    const offer = await user.waitForMessage(hasButton('lab_start_chat'));
    await user.click(offer, 'lab_start_chat');
    const modal = await user.waitForModal(before);
    expect((await user.submit(modal, { description, topic: 'network' })).status).toBe(200);
    const waiting = await user.waitForMessage(hasButton('lab_cancel'));
    const contact = await eventually(() => {
      const found = [...sim.state.contacts.values()].find((c) => c.attributes.userName === name);
      if (!found) throw new Error('not queued at Connect yet');
      return found;
    });
    await eventually(() => expect(sim.hub.open(contact.initialContactId).some((s) => s.subscribed)).toBe(true));
    return { contact, waiting };
  }

  const said = (contact: SimContact) =>
    sim
      .customerItems(contact.initialContactId)
      .filter((i) => i.Type === 'MESSAGE' && i.ContentType === 'text/markdown')
      .map((i) => i.Content);

  it('brokers the whole chat: modal, queue, agent, messages and files both ways, transfer, agent ends', async () => {
    const ana = h.slackUser({ name: 'Ana Lima', email: 'ana@acme.example', locale: 'pt-BR', tz: 'America/Sao_Paulo' });
    const { contact, waiting } = await queue(ana, 'Ana Lima', 'VPN drops every hour');
    expect(contact.attributes).toMatchObject({
      surface: 'slack',
      topic: 'network',
      language: 'pt',
      region: 'BR',
      userEmail: 'ana@acme.example',
    });

    sim.agent.join(contact.initialContactId, 'Beth Anglin');
    await ana.waitForText('Beth Anglin joined the chat');
    await ana.waitForUpdate(waiting, (m) => statusLineOf(m) === 'Connected to Beth Anglin');
    sim.agent.say(contact.initialContactId, 'Hi Ana, which client version?');
    expect(await ana.waitForText('which client version')).toMatchObject({ username: 'Beth Anglin' });
    await ana.say('5.2');
    await eventually(() => expect(said(contact)).toEqual(['5.2']));

    // A file from the user: downloaded from Slack by the bridge, uploaded to Connect.
    const log = h.slack.addFile({ id: 'F0VPNLOG', name: 'vpn.txt', mimetype: 'text/plain', bytes: Buffer.from('error 809\n') });
    await ana.say('the log', { files: [log] });
    await eventually(() =>
      expect(sim.customerItems(contact.initialContactId).find((i) => i.Type === 'ATTACHMENT')?.Attachments?.[0]).toMatchObject({
        AttachmentName: 'vpn.txt',
        Status: 'APPROVED',
      }),
    );

    // A file from the agent: fetched from Connect, uploaded into the DM.
    sim.agent.sendFile(contact.initialContactId, { name: 'fix.txt', contentType: 'text/plain', bytes: Buffer.from('set mtu 1400') });
    const upload = await h.slack.waitFor(() => h.slack.uploads.find((u) => u.completed && u.channel === ana.channel), 5000, 'upload');
    expect(upload.filename).toBe('fix.txt');
    expect(upload.bytes!.toString()).toBe('set mtu 1400');

    // Transfer to Carl, attributed separately; then he ends the chat.
    sim.agent.transfer(contact.initialContactId, 'Carl Moss');
    await ana.waitForText('Carl Moss joined the chat');
    sim.agent.say(contact.initialContactId, 'Carl here, update to 5.3');
    expect(await ana.waitForText('Carl here')).toMatchObject({ username: 'Carl Moss' });
    sim.agent.end(contact.initialContactId);
    await ana.waitForText('The agent ended the chat. You are back with the bot.');
    await h.bridge.broker.idle();
    expect(ana.texts().filter((t) => /ended the chat/i.test(t))).toHaveLength(1);
  });

  it('stop chat ends the chat at Connect', async () => {
    const ben = h.slackUser({ name: 'Ben' });
    const { contact } = await queue(ben, 'Ben', 'Outlook asks for my password');
    sim.agent.join(contact.initialContactId, 'Beth Anglin');
    await ben.waitForText('Beth Anglin joined the chat');
    await ben.say('stop chat');
    await ben.waitForText(/You ended the chat/);
    await eventually(() => expect(sim.contact(contact.initialContactId).status).toBe('ended'));
    await h.bridge.broker.idle();
    expect(ben.texts().join('\n')).not.toContain('The agent ended the chat');
  });
});
