/**
 * The Amazon Connect simulator's refusals reach AWS's SDK as the SDK's own exception classes:
 * throttling and 5xx on demand (and the SDK's retries of them), token checks, idempotent
 * ClientTokens, Connect's validation limits, and the queue metrics for availability.
 */
import {
  type ConnectServiceException,
  GetCurrentMetricDataCommand,
  InternalServiceException,
  LimitExceededException,
  StartChatContactCommand,
} from '@aws-sdk/client-connect';
import {
  AccessDeniedException,
  ConflictException,
  CreateParticipantConnectionCommand,
  GetTranscriptCommand,
  InternalServerException,
  SendEventCommand,
  SendMessageCommand,
  StartAttachmentUploadCommand,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-connectparticipant';
import { clients, startChat, startInput } from '../../helpers/connect-sim-client';
import { AmazonConnectSimulator, EVENT } from './simulator';

let sim: AmazonConnectSimulator;
beforeEach(async () => {
  sim = await AmazonConnectSimulator.start({ limits: { attachmentMaxBytes: 1000 } });
});
afterEach(() => sim.close());

const send = (chat: Awaited<ReturnType<typeof startChat>>, Content: string, ConnectionToken = chat.connectionToken) =>
  chat.participant.send(new SendMessageCommand({ ConnectionToken, ContentType: 'text/plain', Content }));

describe('failures on demand', () => {
  it('throttles the next N calls of an operation with a 429 the SDK raises as ThrottlingException', async () => {
    const chat = await startChat(sim);
    sim.failNext('SendMessage', 2, 'throttle');
    for (let i = 0; i < 2; i++) {
      const error = await send(chat, 'hello').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ThrottlingException);
      expect((error as ThrottlingException).$metadata.httpStatusCode).toBe(429);
    }
    await expect(send(chat, 'hello')).resolves.toMatchObject({ Id: expect.any(String) });
    expect(sim.customerItems(chat.contactId).filter((i) => i.Content === 'hello')).toHaveLength(1);
    chat.socket.close();
  });

  it('the SDK retries a throttled call and a 5xx by itself (the log shows each attempt)', async () => {
    const chat = await startChat(sim);
    const patient = clients(sim, 3).participant;
    sim.failNext('SendMessage', 1, 'throttle');
    sim.failNext('SendMessage', 1, 'server');
    await patient.send(new SendMessageCommand({ ConnectionToken: chat.connectionToken, ContentType: 'text/plain', Content: 'eventually' }));
    expect(sim.calls('SendMessage').map((r) => r.status)).toEqual([429, 500, 200]);
    chat.socket.close();
  });

  it("a 5xx after the message was taken: the SDK's retry carries the same ClientToken, so the agent sees it once", async () => {
    const chat = await startChat(sim);
    const patient = clients(sim, 3).participant;
    sim.failNext('SendMessage', 1, 'server', { afterHandling: true });
    const sent = await patient.send(
      new SendMessageCommand({ ConnectionToken: chat.connectionToken, ContentType: 'text/plain', Content: 'once' }),
    );
    expect(sim.calls('SendMessage').map((r) => r.status)).toEqual([500, 200]);
    expect(
      sim
        .customerItems(chat.contactId)
        .filter((i) => i.Content === 'once')
        .map((i) => i.Id),
    ).toEqual([sent.Id]);
    chat.socket.close();
  });

  it('answers 5xx and the active-chat quota on StartChatContact as Connect names them', async () => {
    const { connect } = clients(sim);
    sim.failNext('StartChatContact', 1, 'server');
    sim.failNext('StartChatContact', 1, 'quota');
    await expect(connect.send(new StartChatContactCommand(startInput(sim)))).rejects.toBeInstanceOf(InternalServiceException);
    await expect(connect.send(new StartChatContactCommand(startInput(sim)))).rejects.toBeInstanceOf(LimitExceededException);
    const chat = await startChat(sim);
    sim.failNext('GetTranscript', 1, 'server');
    await expect(chat.participant.send(new GetTranscriptCommand({ ConnectionToken: chat.connectionToken }))).rejects.toBeInstanceOf(
      InternalServerException,
    );
    chat.socket.close();
  });

  it('refuses a chat over the configured number of active chats', async () => {
    await sim.close();
    sim = await AmazonConnectSimulator.start({ maxActiveChats: 1 });
    const first = await startChat(sim);
    await expect(clients(sim).connect.send(new StartChatContactCommand(startInput(sim)))).rejects.toBeInstanceOf(LimitExceededException);
    first.socket.close();
  });
});

describe('tokens', () => {
  it('checks X-Amz-Bearer: a wrong or expired ConnectionToken is a 403 AccessDeniedException; a new connection renews it', async () => {
    const chat = await startChat(sim);
    await expect(send(chat, 'x', 'not-a-token')).rejects.toBeInstanceOf(AccessDeniedException);
    // The ParticipantToken opens connections only; it is not a ConnectionToken (and vice versa).
    await expect(send(chat, 'x', chat.participantToken)).rejects.toBeInstanceOf(AccessDeniedException);
    await expect(
      chat.participant.send(
        new CreateParticipantConnectionCommand({ ParticipantToken: chat.connectionToken, Type: ['CONNECTION_CREDENTIALS'] }),
      ),
    ).rejects.toBeInstanceOf(AccessDeniedException);

    expect(sim.expireConnections(chat.contactId)).toBe(1);
    const expired = await send(chat, 'x').catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(AccessDeniedException);
    expect((expired as AccessDeniedException).$metadata.httpStatusCode).toBe(403);
    expect((expired as AccessDeniedException).message).toMatch(/expired/);

    const renewed = await chat.participant.send(
      new CreateParticipantConnectionCommand({ ParticipantToken: chat.participantToken, Type: ['CONNECTION_CREDENTIALS'] }),
    );
    expect(renewed.Websocket).toBeUndefined();
    expect(Date.parse(renewed.ConnectionCredentials!.Expiry!)).toBeGreaterThan(Date.now());
    await expect(send(chat, 'back', renewed.ConnectionCredentials!.ConnectionToken)).resolves.toMatchObject({ Id: expect.any(String) });
    chat.socket.close();
  });

  it('the Connect API wants an Authorization header (SigV4 is not verified)', async () => {
    const res = await fetch(`${sim.url}/contact/chat`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(startInput(sim)),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  });
});

describe('StartChatContact', () => {
  it('is idempotent on ClientToken: the same token gives the same contact, a reuse with other parameters is refused', async () => {
    const { connect } = clients(sim);
    const first = await connect.send(new StartChatContactCommand(startInput(sim, { ClientToken: 'session-42' })));
    const again = await connect.send(new StartChatContactCommand(startInput(sim, { ClientToken: 'session-42' })));
    expect(again).toMatchObject({
      ContactId: first.ContactId,
      ParticipantId: first.ParticipantId,
      ParticipantToken: first.ParticipantToken,
    });
    expect(sim.state.contacts.size).toBe(1);
    const other = await connect.send(new StartChatContactCommand(startInput(sim, { ClientToken: 'session-43' })));
    expect(other.ContactId).not.toBe(first.ContactId);
    await expect(
      connect.send(
        new StartChatContactCommand(startInput(sim, { ClientToken: 'session-42', ParticipantDetails: { DisplayName: 'Someone Else' } })),
      ),
    ).rejects.toMatchObject({ name: 'IdempotencyException', $metadata: { httpStatusCode: 409 } });
  });

  it('validates the instance, the flow, attributes and the initial message', async () => {
    const { connect } = clients(sim);
    const refused = (extra: Parameters<typeof startInput>[1]) =>
      connect.send(new StartChatContactCommand(startInput(sim, extra))).then(
        () => 'accepted',
        (e: ConnectServiceException) => e.name,
      );
    expect(await refused({ InstanceId: 'other-instance' })).toBe('ResourceNotFoundException');
    expect(await refused({ ContactFlowId: 'other-flow' })).toBe('ResourceNotFoundException');
    expect(await refused({ Attributes: { 'bad key': 'x' } })).toBe('InvalidParameterException');
    expect(await refused({ Attributes: { big: 'x'.repeat(32768) } })).toBe('InvalidRequestException');
    expect(await refused({ Attributes: { fits: 'x'.repeat(32768 - 4) } })).toBe('accepted');
    expect(await refused({ SupportedMessagingContentTypes: ['text/markdown'] })).toBe('InvalidRequestException');
    expect(await refused({ InitialMessage: { ContentType: 'text/plain', Content: 'x'.repeat(1025) } })).toBe('InvalidParameterException');
    expect(await refused({ ChatDurationInMinutes: 30 })).toBe('InvalidParameterException');
  });
});

describe('participant limits', () => {
  it('refuses content types the chat did not declare, messages over the limit, receipts with three participants, and files Connect does not take', async () => {
    const chat = await startChat(sim, { SupportedMessagingContentTypes: ['text/plain'] });
    const { participant } = chat;
    const ConnectionToken = chat.connectionToken;
    await expect(
      participant.send(new SendMessageCommand({ ConnectionToken, ContentType: 'text/markdown', Content: '*x*' })),
    ).rejects.toBeInstanceOf(ValidationException);
    await expect(send(chat, 'x'.repeat(1025))).rejects.toBeInstanceOf(ValidationException);
    await expect(send(chat, 'x'.repeat(1024))).resolves.toBeDefined();

    sim.agent.join(chat.contactId);
    const hi = sim.agent.say(chat.contactId, 'hi');
    sim.agent.supervisor(chat.contactId, 'listening in');
    await expect(
      participant.send(
        new SendEventCommand({ ConnectionToken, ContentType: EVENT.delivered, Content: JSON.stringify({ messageId: hi.Id }) }),
      ),
    ).rejects.toBeInstanceOf(ConflictException);

    const upload = (ContentType: string, AttachmentSizeInBytes: number) =>
      participant.send(new StartAttachmentUploadCommand({ ConnectionToken, ContentType, AttachmentName: 'f', AttachmentSizeInBytes }));
    await expect(upload('application/x-msdownload', 10)).rejects.toBeInstanceOf(ValidationException);
    await expect(upload('image/png', 1001)).rejects.toBeInstanceOf(ValidationException);
    await expect(upload('image/png', 1000)).resolves.toMatchObject({ AttachmentId: expect.any(String) });
    chat.socket.close();
  });
});

describe('GetCurrentMetricData', () => {
  it("reports the queue's available and online agents; another queue has no result row", async () => {
    const { connect } = clients(sim);
    sim.setAgents({ available: 2, online: 5 });
    const ask = (queue: string) =>
      connect.send(
        new GetCurrentMetricDataCommand({
          InstanceId: sim.state.instanceId,
          Filters: { Queues: [queue], Channels: ['CHAT'] },
          Groupings: ['QUEUE'],
          CurrentMetrics: [
            { Name: 'AGENTS_AVAILABLE', Unit: 'COUNT' },
            { Name: 'AGENTS_ONLINE', Unit: 'COUNT' },
          ],
        }),
      );
    const ours = await ask(sim.state.queueId);
    expect(ours.DataSnapshotTime).toBeInstanceOf(Date);
    expect(ours.MetricResults).toHaveLength(1);
    expect(ours.MetricResults![0].Dimensions?.Queue?.Id).toBe(sim.state.queueId);
    expect(ours.MetricResults![0].Collections!.map((c) => [c.Metric?.Name, c.Value])).toEqual([
      ['AGENTS_AVAILABLE', 2],
      ['AGENTS_ONLINE', 5],
    ]);
    sim.setAgents({ available: 0 });
    expect((await ask(sim.state.queueId)).MetricResults![0].Collections![0].Value).toBe(0);
    expect((await ask('some-other-queue')).MetricResults).toEqual([]);
  });
});
