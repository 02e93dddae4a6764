/**
 * The Amazon Connect connector's stream, through the core's ChatStreamOwner, against the
 * simulator: every frame kind mapped, our echoes ignored, a socket dropped while the agent
 * writes (caught up from the transcript cursor: each message once, in order), an expired
 * ConnectionToken renewed, files both ways.
 */
import { NOTICES } from '../../../../adapters/desks/amazon-connect/items';
import type { DeskEvent, Store } from '../../../../bots/core/ports';
import { chatRequest } from '../../../contract/desk.contract';
import { connectProcess, contactOf, memoryStore } from '../../../helpers/amazon-connect-harness';
import { eventually } from '../../../helpers/eventually';
import { AmazonConnectSimulator } from '../../../simulators/amazon-connect/simulator';

let sim: AmazonConnectSimulator;
let store: Store;
let proc: ReturnType<typeof connectProcess>;
let events: DeskEvent[];
let n = 0;

beforeEach(async () => {
  sim = await AmazonConnectSimulator.start();
  store = await memoryStore();
  proc = connectProcess(sim, store, { owner: { timings: { reopenDelayMs: 20, maxReopenDelayMs: 200 } } });
  events = [];
  await proc.owner.start(async (e) => {
    events.push(e);
  });
});
afterEach(async () => {
  await proc.owner.stop();
  await sim.close();
  await store.close();
});

async function open(): Promise<{ sessionId: string; contactId: string }> {
  const sessionId = `s-${++n}-${Date.now()}`;
  await proc.owner.openChat(chatRequest(sessionId));
  const contactId = contactOf(sim, sessionId).initialContactId;
  await eventually(() => expect(sim.hub.open(contactId).some((s) => s.subscribed)).toBe(true));
  return { sessionId, contactId };
}

const texts = (sessionId: string) =>
  events
    .filter((e) => e.sessionId === sessionId && (e.type === 'agentMessage' || e.type === 'systemMessage'))
    .map((e) => ('text' in e ? e.text : ''));

describe('Amazon Connect stream', () => {
  it('starts the contact with the routing attributes, the opening and the history', async () => {
    const { contactId } = await open();
    const contact = sim.contact(contactId);
    expect(contact.attributes).toMatchObject({
      surface: 'teams',
      topic: 'network',
      topicLabel: 'Network',
      language: 'en',
      region: 'us',
      userId: 'u-1',
      userEmail: 'jordan@example.com',
      userName: 'Jordan Example',
    });
    expect(contact.customer.displayName).toBe('Jordan Example');
    const [opening, history] = sim.customerItems(contactId).filter((i) => i.Type === 'MESSAGE');
    expect(opening.Content).toBe('My laptop will not connect to VPN\n\nSince this morning the VPN client says "authentication failed".');
    expect(history.Content).toContain('User: vpn broken');
  });

  it('maps joins, agent, supervisor and flow messages, typing, transfer, notices and the end; ignores echoes and unknown types', async () => {
    const { sessionId, contactId } = await open();
    sim.agent.system(contactId, 'You are number 1 in the queue');
    sim.agent.join(contactId, 'Beth Anglin');
    sim.agent.typing(contactId);
    sim.agent.say(contactId, '**Hi**', { contentType: 'text/markdown' });
    sim.agent.say(contactId, '{"templateType":"ListPicker"}', { contentType: 'application/json' });
    await proc.owner.sendMessage(sessionId, { messageId: 'u1', text: 'my echo must not come back', at: Date.now() });
    sim.agent.supervisor(contactId, 'Supervisor here');
    sim.agent.transferFailed(contactId);
    sim.agent.transfer(contactId, 'Carl Moss');
    sim.agent.say(contactId, 'Carl speaking');
    sim.agent.idle(contactId);
    sim.agent.end(contactId);

    await eventually(() => expect(events.filter((e) => e.sessionId === sessionId && e.type === 'ended')).toHaveLength(1));
    const mine = events.filter((e) => e.sessionId === sessionId);
    const summary = mine.map((e) => {
      switch (e.type) {
        case 'agentJoined':
        case 'agentLeft':
          return `${e.type} ${e.agent.name}`;
        case 'agentMessage':
          return `${e.agent.name}: ${e.text}`;
        case 'systemMessage':
          return `system: ${e.text}`;
        case 'typing':
          return `typing ${e.agent?.name}`;
        case 'ended':
          return `ended ${e.reason}`;
        default:
          return e.type;
      }
    });
    expect(summary).toEqual([
      'system: You are number 1 in the queue',
      'agentJoined Beth Anglin',
      'typing Beth Anglin',
      'Beth Anglin: **Hi**',
      'agentJoined Sam Supervisor (supervisor)',
      'Sam Supervisor (supervisor): Supervisor here',
      `system: ${NOTICES.transferFailed}`,
      'agentLeft Beth Anglin',
      'agentJoined Carl Moss',
      'Carl Moss: Carl speaking',
      `system: ${NOTICES.idle}`,
      'agentLeft Carl Moss',
      'agentLeft Sam Supervisor (supervisor)',
      'ended agent_ended',
    ]);
    expect(JSON.stringify(mine)).not.toContain('my echo');
    expect(
      proc.logger.lines.some(
        (l) => l.msg?.includes('does not relay') && (l.obj as { contentType?: string }).contentType === 'application/json',
      ),
    ).toBe(true);
  });

  it('a socket dropped while the agent sends three messages: all three arrive once, in order', async () => {
    const { sessionId, contactId } = await open();
    sim.agent.join(contactId, 'Beth Anglin');
    sim.agent.say(contactId, 'before the drop');
    await eventually(() => expect(texts(sessionId)).toEqual(['before the drop']));
    const transcriptReads = sim.calls('GetTranscript').length;

    expect(sim.dropSockets(contactId, true)).toBe(1);
    sim.agent.say(contactId, 'one');
    sim.agent.say(contactId, 'two');
    sim.agent.say(contactId, 'three');

    await eventually(() => expect(texts(sessionId)).toEqual(['before the drop', 'one', 'two', 'three']));
    // Caught up from the persisted cursor with a new connection, not by luck of timing.
    expect(sim.calls('GetTranscript').length).toBeGreaterThan(transcriptReads);
    expect(sim.calls('CreateParticipantConnection').length).toBeGreaterThanOrEqual(3);
    sim.agent.say(contactId, 'four');
    await eventually(() => expect(texts(sessionId)).toEqual(['before the drop', 'one', 'two', 'three', 'four']));
    // Each message the sink took was acknowledged to Connect as delivered (only receipts use SendEvent here).
    await eventually(() => expect(sim.calls('SendEvent').filter((r) => r.status === 200)).toHaveLength(5));
  });

  it('a gracefully closed socket and an expired ConnectionToken are renewed; messages keep flowing both ways', async () => {
    const { sessionId, contactId } = await open();
    sim.agent.join(contactId, 'Beth Anglin');
    sim.expireConnections(contactId);
    await proc.owner.sendMessage(sessionId, { messageId: 'after-expiry', text: 'still here', at: Date.now() });
    expect(sim.customerItems(contactId).map((i) => i.Content)).toContain('still here');
    sim.dropSockets(contactId, false);
    sim.agent.say(contactId, 'back?');
    await eventually(() => expect(texts(sessionId)).toEqual(['back?']));
  });

  it('carries files both ways: an agent attachment to the user, a user file to the agent; a file Connect would refuse is explained, not sent', async () => {
    const { sessionId, contactId } = await open();
    sim.agent.join(contactId, 'Beth Anglin');
    const pdf = new Uint8Array(Buffer.from('%PDF-1.4 steps to reset'));
    sim.agent.sendFile(contactId, { name: 'steps.pdf', contentType: 'application/pdf', bytes: pdf });
    const file = await eventually(() => {
      const found = events.find((e) => e.type === 'agentMessage' && e.files?.length);
      if (found?.type !== 'agentMessage') throw new Error('no file yet');
      return found.files![0];
    });
    expect(file).toMatchObject({ name: 'steps.pdf', contentType: 'application/pdf', size: pdf.byteLength });
    expect(Buffer.from(file.content!).equals(Buffer.from(pdf))).toBe(true);

    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    await proc.owner.sendMessage(sessionId, {
      messageId: 'f1',
      text: '',
      files: [{ name: 'screen.png', contentType: 'image/png', size: png.byteLength, content: png }],
      at: Date.now(),
    });
    const sent = sim.customerItems(contactId).find((i) => i.Type === 'ATTACHMENT');
    expect(sent?.Attachments?.[0]).toMatchObject({ AttachmentName: 'screen.png', ContentType: 'image/png', Status: 'APPROVED' });

    // A type Connect refuses: the text goes, the file is explained to the user, not uploaded.
    await proc.owner.sendMessage(sessionId, {
      messageId: 'f2',
      text: 'and the tool',
      files: [{ name: 'tool.exe', contentType: 'application/x-msdownload', content: new Uint8Array([1]) }],
      at: Date.now(),
    });
    expect(sim.customerItems(contactId).map((i) => i.Content)).toContain('and the tool');
    expect(sim.customerItems(contactId).filter((i) => i.Type === 'ATTACHMENT')).toHaveLength(1);
    expect(events).toContainEqual({
      type: 'systemMessage',
      sessionId,
      messageId: 'f2:refused:0',
      text: "tool.exe was not sent to the agent: the agent's desk does not take application/x-msdownload files.",
    });
  });

  it('a chat that ends while its socket is down is ended for the user, from the transcript', async () => {
    const { sessionId, contactId } = await open();
    sim.agent.join(contactId, 'Beth Anglin');
    await eventually(() => expect(events.some((e) => e.type === 'agentJoined')).toBe(true));
    sim.dropSockets(contactId, true);
    sim.agent.end(contactId);
    await eventually(() => expect(events.filter((e) => e.sessionId === sessionId && e.type === 'ended')).toHaveLength(1));
  });
});
