/**
 * The Participant Service calls that hold a chat's connection: a ConnectionToken (and, for the
 * owner of the chat's stream, a WebSocket URL) from the ParticipantToken, the transcript read
 * forward from a cursor, and delivery receipts. A new CreateParticipantConnection gives a new
 * ConnectionToken each time: that is how a refused or ageing token is renewed.
 */
import { CreateParticipantConnectionCommand, GetTranscriptCommand, type Item, SendEventCommand } from '@aws-sdk/client-connectparticipant';
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import type { AwsCalls } from './aws-calls';
import { type ChatItem, EVENTS } from './items';

export interface WebsocketConnection {
  url: string;
  connectionToken: string;
  /** When the URL's connection expires (epoch ms), when Connect says. */
  expiresAt?: number;
}

export class ParticipantCalls {
  constructor(private readonly calls: AwsCalls) {}

  /** A new ConnectionToken (`join`: connect the participant to the chat, the first time). */
  async connect(participantToken: string, join = false): Promise<string> {
    const answer = await this.calls.run('CreateParticipantConnection', 'safe', () =>
      this.calls.participant.send(
        new CreateParticipantConnectionCommand({
          ParticipantToken: participantToken,
          Type: ['CONNECTION_CREDENTIALS'],
          ...(join ? { ConnectParticipant: true } : {}),
        }),
      ),
    );
    const token = answer.ConnectionCredentials?.ConnectionToken;
    if (!token) throw new BridgeError(ErrorCode.DeskRejected, 'Amazon Connect gave no ConnectionToken');
    return token;
  }

  async connectWebsocket(participantToken: string): Promise<WebsocketConnection> {
    const answer = await this.calls.run('CreateParticipantConnection', 'safe', () =>
      this.calls.participant.send(
        new CreateParticipantConnectionCommand({ ParticipantToken: participantToken, Type: ['WEBSOCKET', 'CONNECTION_CREDENTIALS'] }),
      ),
    );
    const url = answer.Websocket?.Url;
    const connectionToken = answer.ConnectionCredentials?.ConnectionToken;
    if (!url || !connectionToken) throw new BridgeError(ErrorCode.DeskRejected, 'Amazon Connect gave no WebSocket or ConnectionToken');
    const expiry = answer.Websocket?.ConnectionExpiry ? Date.parse(answer.Websocket.ConnectionExpiry) : Number.NaN;
    return { url, connectionToken, ...(Number.isNaN(expiry) ? {} : { expiresAt: expiry }) };
  }

  /** Every transcript item after `cursor` (exclusive), oldest first; the whole transcript without one. */
  async transcript(connectionToken: string, cursor: string | undefined): Promise<ChatItem[]> {
    const items: Item[] = [];
    // Without a cursor: forward from the epoch, i.e. from the chat's first item.
    const StartPosition = cursor ? { Id: cursor } : { AbsoluteTime: '1970-01-01T00:00:00.000Z' };
    let NextToken: string | undefined;
    do {
      const page = await this.calls.run('GetTranscript', 'safe', () =>
        this.calls.participant.send(
          new GetTranscriptCommand({
            ConnectionToken: connectionToken,
            ScanDirection: 'FORWARD',
            SortOrder: 'ASCENDING',
            MaxResults: 100,
            StartPosition,
            NextToken,
          }),
        ),
      );
      items.push(...(page.Transcript ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    // A StartPosition Id is inclusive: the cursor's own item was delivered already.
    return (cursor ? items.filter((i) => i.Id !== cursor) : items) as ChatItem[];
  }

  /** Tell Connect an agent message reached the user; a courtesy, so failures are dropped. */
  receipt(connectionToken: string, messageId: string): void {
    void this.calls
      .run('SendEvent', 'never', () =>
        this.calls.participant.send(
          new SendEventCommand({ ConnectionToken: connectionToken, ContentType: EVENTS.delivered, Content: JSON.stringify({ messageId }) }),
        ),
      )
      // Connect refuses receipts in some chats (more than two participants), and that is fine.
      .catch(() => undefined);
  }
}
