/**
 * The Amazon Connect simulator speaks what AWS's SDK v3 clients and a `ws` client expect: a whole
 * chat (start, connect, subscribe, agent joins, messages and typing both ways, transfer,
 * supervisor, files both ways, transcript paging from a cursor, end) and a socket dropped while
 * the agent writes, caught up through GetTranscript.
 */
import {
  CompleteAttachmentUploadCommand,
  CreateParticipantConnectionCommand,
  DisconnectParticipantCommand,
  GetAttachmentCommand,
  GetTranscriptCommand,
  type Item,
  SendEventCommand,
  SendMessageCommand,
  StartAttachmentUploadCommand,
} from '@aws-sdk/client-connectparticipant';
import { ChatSocket, startChat } from '../../helpers/connect-sim-client';
import { eventually } from '../../helpers/eventually';
import { AmazonConnectSimulator, EVENT } from './simulator';

let sim: AmazonConnectSimulator;
beforeEach(async () => {
  sim = await AmazonConnectSimulator.start();
});
afterEach(() => sim.close());

describe('a whole chat over the SDK and the WebSocket', () => {
  it('starts, relays both ways, transfers, carries files, pages the transcript and ends', async () => {
    const chat = await startChat(sim, {
      Attributes: { topic: 'vpn', userEmail: 'jane@example.com' },
      InitialMessage: { ContentType: 'text/plain', Content: 'VPN drops every hour' },
    });
    const { participant, socket } = chat;
    const bearer = { ConnectionToken: chat.connectionToken };
    const contact = sim.contact(chat.contactId);
    expect(contact.attributes).toEqual({ topic: 'vpn', userEmail: 'jane@example.com' });
    expect(sim.customerItems(chat.contactId).map((i) => i.Content ?? i.ContentType)).toEqual(['VPN drops every hour', EVENT.joined]);

    // The agent accepts: the join arrives as a JSON-string content frame.
    sim.agent.system(chat.contactId, 'You are number 1 in the queue');
    sim.agent.join(chat.contactId, 'Beth Anglin');
    await eventually(() => expect(socket.items().map((i) => i.ContentType)).toEqual(['text/plain', EVENT.joined]));
    const frame = socket.frames.find((f) => f.topic === 'aws/chat')!;
    expect(frame.contentType).toBe('application/json');
    expect(typeof frame.content).toBe('string');
    const [system, joined] = socket.items();
    expect(system).toMatchObject({ Type: 'MESSAGE', ParticipantRole: 'SYSTEM', Content: 'You are number 1 in the queue' });
    expect(joined).toMatchObject({
      Type: 'EVENT',
      ParticipantRole: 'AGENT',
      DisplayName: 'Beth Anglin',
      ContactId: chat.contactId,
      InitialContactId: chat.contactId,
    });

    // Our own message comes back on our socket, with our participant id.
    const sent = await participant.send(new SendMessageCommand({ ...bearer, ContentType: 'text/markdown', Content: '**Hello**' }));
    expect(sent.Id).toEqual(expect.any(String));
    expect(Date.parse(sent.AbsoluteTime!)).not.toBeNaN();
    await eventually(() =>
      expect(socket.items().find((i) => i.Id === sent.Id)).toMatchObject({
        ParticipantId: chat.participantId,
        ParticipantRole: 'CUSTOMER',
      }),
    );
    await participant.send(new SendEventCommand({ ...bearer, ContentType: EVENT.typing }));

    sim.agent.typing(chat.contactId);
    const hello = sim.agent.say(chat.contactId, 'Hi Jane, let me look');
    await eventually(() =>
      expect(socket.items().at(-1)).toMatchObject({ Id: hello.Id, Content: 'Hi Jane, let me look', DisplayName: 'Beth Anglin' }),
    );
    expect(socket.items().some((i) => i.ContentType === EVENT.typing && i.ParticipantRole === 'AGENT')).toBe(true);
    expect(sim.customerItems(chat.contactId).map((i) => i.ContentType)).toContain(EVENT.typing);
    await participant.send(new SendEventCommand({ ...bearer, ContentType: EVENT.read, Content: JSON.stringify({ messageId: hello.Id }) }));
    await eventually(() =>
      expect(socket.items().at(-1)).toMatchObject({ Type: 'MESSAGEMETADATA', MessageMetadata: { MessageId: hello.Id } }),
    );

    // Transfer: Beth leaves, the transfer succeeds in a new segment, Carl joins.
    sim.agent.transfer(chat.contactId, 'Carl Moss');
    await eventually(() => expect(socket.items().some((i) => i.DisplayName === 'Carl Moss')).toBe(true));
    const transfer = socket.items().slice(-3);
    expect(transfer.map((i) => [i.ContentType, i.DisplayName])).toEqual([
      [EVENT.left, 'Beth Anglin'],
      [EVENT.transferSucceeded, 'SYSTEM_MESSAGE'],
      [EVENT.joined, 'Carl Moss'],
    ]);
    expect(transfer[2].ContactId).not.toBe(chat.contactId);
    expect(transfer[2].InitialContactId).toBe(chat.contactId);

    sim.agent.supervisor(chat.contactId, 'Supervisor here, all good');
    await eventually(() =>
      expect(socket.items().at(-1)).toMatchObject({ ParticipantRole: 'SUPERVISOR', Content: 'Supervisor here, all good' }),
    );

    // A file from the customer: StartAttachmentUpload → PUT with the given headers → Complete.
    const bytes = Buffer.from('%PDF-1.4 vpn log');
    const upload = await participant.send(
      new StartAttachmentUploadCommand({
        ...bearer,
        ContentType: 'application/pdf',
        AttachmentName: 'vpn.pdf',
        AttachmentSizeInBytes: bytes.byteLength,
      }),
    );
    const meta = upload.UploadMetadata!;
    expect((await fetch(meta.Url!, { method: 'PUT', body: bytes })).status).toBe(403); // the signed headers are missing
    expect((await fetch(meta.Url!, { method: 'PUT', headers: meta.HeadersToInclude, body: bytes })).status).toBe(200);
    await participant.send(new CompleteAttachmentUploadCommand({ ...bearer, AttachmentIds: [upload.AttachmentId!] }));
    await eventually(() =>
      expect(socket.items().at(-1)).toMatchObject({
        Type: 'ATTACHMENT',
        ParticipantId: chat.participantId,
        Attachments: [{ AttachmentName: 'vpn.pdf', Status: 'APPROVED' }],
      }),
    );
    expect(sim.state.attachments.get(upload.AttachmentId!)?.bytes).toEqual(bytes);

    // A file from the agent: the ATTACHMENT item, then GetAttachment → a download URL.
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const fromAgent = sim.agent.sendFile(chat.contactId, { name: 'fix.png', contentType: 'image/png', bytes: png });
    await eventually(() => expect(socket.items().at(-1)?.Id).toBe(fromAgent.Id));
    const link = await participant.send(
      new GetAttachmentCommand({ ...bearer, AttachmentId: fromAgent.Attachments![0].AttachmentId, UrlExpiryInSeconds: 60 }),
    );
    expect(link.AttachmentSizeInBytes).toBe(png.byteLength);
    const download = await fetch(link.Url!);
    expect(download.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await download.arrayBuffer())).toEqual(png);

    // The transcript from a cursor: pages of 2, oldest first, cursor item included, no typing.
    const live = socket.items().filter((i) => i.Type !== 'MESSAGEMETADATA' && i.ContentType !== EVENT.typing);
    const cursor = live.findIndex((i) => i.Id === hello.Id);
    const paged: Item[] = [];
    let next: string | undefined;
    do {
      const page = await participant.send(
        new GetTranscriptCommand({
          ...bearer,
          StartPosition: { Id: hello.Id },
          MaxResults: 2,
          SortOrder: 'ASCENDING',
          ScanDirection: 'FORWARD',
          NextToken: next,
        }),
      );
      expect(page.InitialContactId).toBe(chat.contactId);
      expect(page.Transcript!.length).toBeLessThanOrEqual(2);
      paged.push(...page.Transcript!);
      next = page.NextToken;
    } while (next);
    expect(paged.map((i) => i.Id)).toEqual(live.slice(cursor).map((i) => i.Id));
    // By time, backwards, newest first (the defaults without StartPosition are BACKWARD + DESCENDING).
    const latest = await participant.send(new GetTranscriptCommand({ ...bearer, MaxResults: 3 }));
    expect(latest.Transcript!.map((i) => i.Id)).toEqual(
      live
        .slice(-3)
        .reverse()
        .map((i) => i.Id),
    );
    const since = await participant.send(
      new GetTranscriptCommand({ ...bearer, StartPosition: { AbsoluteTime: hello.AbsoluteTime }, MaxResults: 1, SortOrder: 'ASCENDING' }),
    );
    expect(since.Transcript![0].Id).toBe(hello.Id);
    expect(hello.MessageMetadata?.Receipts?.[0].ReadTimestamp).toEqual(expect.any(String));

    // The agent ends: everyone on Connect's side leaves, then the chat ends; sending is refused.
    sim.agent.end(chat.contactId);
    await eventually(() => expect(socket.items().at(-1)?.ContentType).toBe(EVENT.chatEnded));
    expect(
      socket
        .items()
        .slice(-3)
        .map((i) => [i.ContentType, i.DisplayName]),
    ).toEqual([
      [EVENT.left, 'Sam Supervisor'],
      [EVENT.left, 'Carl Moss'],
      [EVENT.chatEnded, undefined],
    ]);
    await expect(
      participant.send(new SendMessageCommand({ ...bearer, ContentType: 'text/plain', Content: 'still there?' })),
    ).rejects.toMatchObject({
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 403 },
    });
    // The transcript stays readable after the end, for a client catching up.
    const tail = await participant.send(new GetTranscriptCommand({ ...bearer, MaxResults: 1 }));
    expect(tail.Transcript![0].ContentType).toBe(EVENT.chatEnded);
    socket.close();
  });

  it('the customer leaving ends the chat: participant.left then chat.ended', async () => {
    const chat = await startChat(sim);
    sim.agent.join(chat.contactId);
    await chat.participant.send(new DisconnectParticipantCommand({ ConnectionToken: chat.connectionToken }));
    await eventually(() => expect(chat.socket.items().at(-1)?.ContentType).toBe(EVENT.chatEnded));
    expect(chat.socket.items().at(-2)).toMatchObject({ ContentType: EVENT.left, ParticipantId: chat.participantId });
    expect(sim.contact(chat.contactId).status).toBe('ended');
    chat.socket.close();
  });

  it('answers heartbeats and deep pings, and sends nothing before the subscription', async () => {
    const chat = await startChat(sim);
    const { participant } = chat;
    const connection = await participant.send(
      new CreateParticipantConnectionCommand({ ParticipantToken: chat.participantToken, Type: ['WEBSOCKET'] }),
    );
    const quiet = await ChatSocket.open(connection.Websocket!.Url!, false);
    sim.agent.join(chat.contactId);
    quiet.send({ topic: 'aws/heartbeat' });
    quiet.send({ topic: 'aws/ping' });
    await eventually(() => expect(quiet.frames.map((f) => f.topic)).toEqual(['aws/heartbeat', 'aws/ping']));
    expect(quiet.frames[1]).toEqual({ topic: 'aws/ping', statusCode: 200, statusContent: 'OK' });
    // What clients sent is visible to tests (a connector's keep-alive, for one).
    const open = sim.hub.open(chat.contactId);
    expect(open.map((s) => s.subscribed)).toEqual([true, false]);
    expect(open[1].received.map((f) => JSON.parse(f).topic)).toEqual(['aws/heartbeat', 'aws/ping']);
    await eventually(() => expect(chat.socket.items().some((i) => i.ParticipantRole === 'AGENT')).toBe(true));
    expect(quiet.items()).toEqual([]);
    quiet.close();
    chat.socket.close();
  });
});

describe('a dropped socket', () => {
  it('is cut on demand; the old URL is refused, a new connection and the transcript from the cursor give the missed messages once, in order', async () => {
    const chat = await startChat(sim);
    sim.agent.join(chat.contactId);
    await eventually(() => expect(chat.socket.items()).toHaveLength(1));
    const lastSeen = chat.socket.items()[0];
    const oldUrl = chat.socket.socket.url;

    expect(sim.dropSockets(chat.contactId)).toBe(1);
    await eventually(() => expect(chat.socket.closeCode).toBe(1006));
    const missed = ['one', 'two', 'three'].map((t) => sim.agent.say(chat.contactId, t));

    await expect(ChatSocket.open(oldUrl)).rejects.toThrow(/403/);
    const again = await chat.participant.send(
      new CreateParticipantConnectionCommand({
        ParticipantToken: chat.participantToken,
        Type: ['WEBSOCKET', 'CONNECTION_CREDENTIALS'],
        ConnectParticipant: true,
      }),
    );
    const socket = await ChatSocket.open(again.Websocket!.Url!);
    const page = await chat.participant.send(
      new GetTranscriptCommand({
        ConnectionToken: again.ConnectionCredentials!.ConnectionToken,
        StartPosition: { Id: lastSeen.Id },
        ScanDirection: 'FORWARD',
        SortOrder: 'ASCENDING',
        MaxResults: 100,
      }),
    );
    const caughtUp = page.Transcript!.filter((i) => i.Id !== lastSeen.Id);
    expect(caughtUp.map((i) => i.Content)).toEqual(['one', 'two', 'three']);
    expect(caughtUp.map((i) => i.Id)).toEqual(missed.map((m) => m.Id));

    sim.agent.say(chat.contactId, 'four');
    await eventually(() => expect(socket.items().map((i) => i.Content)).toEqual(['four']));
    socket.close();
  });

  it('can also close with a close frame, as an expired connection does', async () => {
    const chat = await startChat(sim);
    sim.dropSockets(chat.contactId, false);
    await eventually(() => expect(chat.socket.closeCode).toBe(1001));
  });
});
