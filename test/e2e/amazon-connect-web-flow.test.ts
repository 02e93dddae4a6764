/**
 * The web chat with Amazon Connect as the desk, on the wire: a guest drives the real `/chat/api`
 * (JSON calls and the SSE stream, as the page does) and the Amazon Connect simulator plays the
 * instance and its agents over AWS's SDK clients and a WebSocket per chat.
 */
import { startBridgeHarness, type BridgeHarness } from '../helpers/bridge-harness';
import { useSimulatorCredentials } from '../helpers/amazon-connect-harness';
import { eventually } from '../helpers/eventually';
import { cardActions, hasButton, isDetailsCard, WebChatUser } from '../helpers/web-user';
import { AmazonConnectSimulator, type SimContact } from '../simulators/amazon-connect/simulator';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

describe('web chat end to end, with Amazon Connect as the desk', () => {
  let sim: AmazonConnectSimulator;
  let h: BridgeHarness;
  const users: WebChatUser[] = [];

  beforeEach(async () => {
    sim = await AmazonConnectSimulator.start();
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
        },
        bot: { topics: [{ id: 'hardware', label: 'Hardware' }] },
      },
    });
  });
  afterEach(async () => {
    for (const u of users.splice(0)) await u.close();
    await h.close();
    await sim.close();
  });

  const said = (contact: SimContact) =>
    sim
      .customerItems(contact.initialContactId)
      .filter((i) => i.Type === 'MESSAGE' && i.ContentType === 'text/markdown')
      .map((i) => i.Content);

  it('brokers a whole chat: offer, details, queue, agent, messages and files both ways, transfer, agent ends', async () => {
    const ana = await WebChatUser.start(h.url, { locale: 'fr-CA' });
    users.push(ana);
    await ana.say('I need to talk to an agent');
    const offer = await ana.waitForCard(hasButton('startChat'));
    await ana.click(offer, 'startChat');
    const details = await ana.waitForCard(isDetailsCard);
    await ana.click(details, 'submitDetails', { description: 'My laptop fan is loud', topic: 'hardware' });
    const waiting = await ana.waitForCard(hasButton('cancel'));
    const contact = await eventually(() => {
      const found = [...sim.state.contacts.values()].find((c) => c.attributes.surface === 'web');
      if (!found) throw new Error('not queued at Connect yet');
      return found;
    });
    expect(contact.attributes).toMatchObject({ topic: 'hardware', language: 'fr', region: 'CA', userId: ana.id });
    await eventually(() => expect(sim.hub.open(contact.initialContactId).some((s) => s.subscribed)).toBe(true));

    sim.agent.join(contact.initialContactId, 'Beth Anglin');
    await ana.waitForText('Beth Anglin joined the chat.');
    await ana.waitForUpdate(waiting.id, (e) => cardActions(e).length === 0 && /Connected to Beth Anglin/.test(e.cardText ?? ''));

    sim.agent.say(contact.initialContactId, 'Hi, does it happen on battery too?');
    expect(await ana.waitForText('Hi, does it happen on battery too?')).toMatchObject({ from: 'agent', agent: { name: 'Beth Anglin' } });
    await ana.say('Yes, always');
    await eventually(() => expect(said(contact)).toEqual(['Yes, always']));

    const upload = await ana.upload('fan.png', 'image/png', PNG);
    await ana.say('a photo', { files: [upload.id] });
    await eventually(() =>
      expect(sim.customerItems(contact.initialContactId).find((i) => i.Type === 'ATTACHMENT')?.Attachments?.[0]).toMatchObject({
        AttachmentName: 'fan.png',
        ContentType: 'image/png',
      }),
    );
    sim.agent.sendFile(contact.initialContactId, {
      name: 'fan-guide.pdf',
      contentType: 'application/pdf',
      bytes: Buffer.from('%PDF-1.4 x'),
    });
    const file = await ana.waitFor((e) => e.from === 'agent' && (e.files ?? []).some((f) => f.name === 'fan-guide.pdf'));
    expect(file.agent).toMatchObject({ name: 'Beth Anglin' });

    sim.agent.transfer(contact.initialContactId, 'Carl Moss');
    sim.agent.say(contact.initialContactId, 'Carl here.');
    expect(await ana.waitForText('Carl here.')).toMatchObject({ agent: { name: 'Carl Moss' } });

    sim.agent.end(contact.initialContactId);
    await ana.waitForText(/The agent ended the chat/);
  });
});
