/**
 * The handoff through Slack with ServiceNow as the desk, on the wire: signed Slack requests to
 * the real app, Bolt's Web API client against a fake Slack, and the ServiceNow simulator as the
 * instance and its agents. Nothing in between is mocked.
 */
import { eventually } from '../helpers/eventually';
import type { FakeMessage } from '../helpers/fake-slack';
import { DEFAULT_OUTBOUND_AUTH, servicenowSettings } from '../helpers/servicenow-harness';
import { hasButton, startSlackHarness, statusLineOf, type SlackHarness, type SlackUser } from '../helpers/slack-harness';
import { ServiceNowSimulator, type SimConversation } from '../simulators/servicenow/simulator';

describe('Slack end to end, with ServiceNow Agent Chat as the desk', () => {
  let sim: ServiceNowSimulator;
  let h: SlackHarness;

  beforeEach(async () => {
    sim = await ServiceNowSimulator.start();
    h = await startSlackHarness({
      config: {
        desk: 'servicenow',
        servicenow: servicenowSettings(sim.url),
        bot: { topics: [{ id: 'network', label: 'Network and VPN' }] },
      },
    });
    sim.setOutbound(`${h.url}/servicenow/webhook`, DEFAULT_OUTBOUND_AUTH);
  });
  afterEach(async () => {
    await h.close();
    await sim.close();
  });

  async function queue(user: SlackUser, description: string): Promise<{ conv: SimConversation; waiting: FakeMessage }> {
    const before = h.slack.views.length;
    await user.say('I need to talk to an agent');
    const offer = await user.waitForMessage(hasButton('lab_start_chat'));
    await user.click(offer, 'lab_start_chat');
    const modal = await user.waitForModal(before);
    expect((await user.submit(modal, { description, topic: 'network' })).status).toBe(200);
    const waiting = await user.waitForMessage(hasButton('lab_cancel'));
    const conv = await eventually(() => {
      const found = [...sim.conversations.values()].find((c) => c.opening.text.startsWith(description));
      if (!found) throw new Error('not queued at ServiceNow yet');
      return found;
    });
    return { conv, waiting };
  }

  it('brokers the whole chat: modal, queue, agents, messages and files both ways, agent closes', async () => {
    const ana = h.slackUser({ name: 'Ana Lima', email: 'ana@acme.example', locale: 'pt-BR', tz: 'America/Sao_Paulo' });
    const { conv, waiting } = await queue(ana, 'VPN drops every hour');
    expect(conv).toMatchObject({
      userId: ana.id,
      emailId: 'ana@acme.example',
      opening: {
        contextVariables: expect.objectContaining({ topic: 'network', language: 'pt', region: 'BR' }),
        timezone: 'America/Sao_Paulo',
      },
    });
    await ana.waitForText('Please stand by while I connect you to a live agent.');

    // Beth accepts; messages both ways, attributed (Slack shows the agent's name on the post).
    await sim.accept(conv.id, 0);
    await ana.waitForText('Beth Anglin joined the chat');
    await ana.waitForUpdate(waiting, (m) => statusLineOf(m) === 'Connected to Beth Anglin');
    await sim.say(conv.id, 'Hi Ana, which **client** version?');
    expect(await ana.waitForText('version')).toMatchObject({ username: 'Beth Anglin', text: 'Hi Ana, which *client* version?' });
    await ana.say('5.2');
    await eventually(() => expect(sim.received(conv.id)).toEqual(['5.2']));

    // A file from the user: downloaded from Slack by the bridge, then by ServiceNow from the bridge.
    const log = h.slack.addFile({ id: 'F0VPNLOG', name: 'vpn.log', mimetype: 'text/plain', bytes: Buffer.from('error 809\n') });
    await ana.say('the log', { files: [log] });
    const sent = await eventually(() => {
      const m = sim.conversation(conv.id).messages.find((x) => x.attachment?.fileName === 'vpn.log' && x.download);
      if (!m) throw new Error('not downloaded yet');
      return m;
    });
    expect(sent.download).toMatchObject({ status: 200 });
    expect(sent.download!.bytes!.toString()).toBe('error 809\n');

    // A file from the agent: fetched from the instance, uploaded into the DM.
    await sim.sendFile(conv.id, { name: 'fix.txt', contentType: 'text/plain', bytes: Buffer.from('set mtu 1400') });
    const upload = await h.slack.waitFor(() => h.slack.uploads.find((u) => u.completed && u.channel === ana.channel), 5000, 'upload');
    expect(upload.filename).toBe('fix.txt');
    expect(upload.bytes!.toString()).toBe('set mtu 1400');

    // A second agent, attributed separately; then the agent closes.
    await sim.accept(conv.id, 1);
    await ana.waitForText('Carl Moss joined the chat');
    await sim.say(conv.id, 'Carl here, update to 5.3', { agentIndex: 1 });
    expect(await ana.waitForText('Carl here')).toMatchObject({ username: 'Carl Moss' });
    await sim.end(conv.id);
    await ana.waitForText('Beth Anglin has closed the support session. You are back with the bot.');
    await sim.idle();
    await h.bridge.broker.idle();
    expect(ana.texts().filter((t) => /closed the support session|ended the chat/i.test(t))).toHaveLength(1);
    expect(ana.texts().join('\n')).not.toContain('anything else');
  });

  it('stop chat ends the chat at ServiceNow', async () => {
    const ben = h.slackUser({ name: 'Ben' });
    const { conv } = await queue(ben, 'Outlook asks for my password');
    await sim.accept(conv.id);
    await ben.waitForText('Beth Anglin joined the chat');
    await ben.say('stop chat');
    await ben.waitForText(/You ended the chat/);
    await eventually(() => expect(sim.conversation(conv.id)).toMatchObject({ status: 'ended', endedBy: 'user' }));
    await sim.idle();
    await h.bridge.broker.idle();
    expect(ben.texts().join('\n')).not.toContain('Thank you for contacting us');
  });
});
