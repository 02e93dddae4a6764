/**
 * The customer side of an Amazon Connect chat as a bridge would drive it, for the simulator's
 * tests: AWS's own SDK clients pointed at the simulator with dummy credentials, and a `ws`
 * socket that subscribes to `aws/chat` and keeps every frame.
 */
import { ConnectClient, StartChatContactCommand, type StartChatContactCommandInput } from '@aws-sdk/client-connect';
import { ConnectParticipantClient, CreateParticipantConnectionCommand } from '@aws-sdk/client-connectparticipant';
import WebSocket from 'ws';
import type { AmazonConnectSimulator, ChatItem } from '../simulators/amazon-connect/simulator';
import { SIM_DEFAULTS } from '../simulators/amazon-connect/simulator';
import { eventually } from './eventually';

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'not-checked' };

/** `maxAttempts: 1` unless a test is about the SDK's own retries. */
export function clients(sim: AmazonConnectSimulator, maxAttempts = 1) {
  const config = { region: SIM_DEFAULTS.region, endpoint: sim.url, credentials, maxAttempts };
  return { connect: new ConnectClient(config), participant: new ConnectParticipantClient(config) };
}

export function startInput(sim: AmazonConnectSimulator, extra: Partial<StartChatContactCommandInput> = {}): StartChatContactCommandInput {
  return {
    InstanceId: sim.state.instanceId,
    ContactFlowId: sim.state.contactFlowId,
    ParticipantDetails: { DisplayName: 'Jane Doe' },
    SupportedMessagingContentTypes: ['text/plain', 'text/markdown'],
    ...extra,
  };
}

export class ChatSocket {
  readonly frames: Record<string, unknown>[] = [];
  closeCode?: number;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
    socket.on('close', (code) => {
      this.closeCode = code;
    });
  }

  /** Open the URL and subscribe to `aws/chat`, resolving once the subscription is acknowledged. */
  static async open(url: string, subscribe = true): Promise<ChatSocket> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const chat = new ChatSocket(socket);
    if (subscribe) {
      chat.send({ topic: 'aws/subscribe', content: { topics: ['aws/chat'] } });
      await eventually(() => expect(chat.frames.some((f) => f.topic === 'aws/subscribe')).toBe(true));
    }
    return chat;
  }

  send(frame: unknown): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** The chat items received: `content` is a JSON string that must be parsed. */
  items(): ChatItem[] {
    return this.frames.filter((f) => f.topic === 'aws/chat').map((f) => JSON.parse(f.content as string) as ChatItem);
  }

  close(): void {
    this.socket.terminate();
  }
}

/** Start a chat and connect as the customer: the ids, the ConnectionToken and a subscribed socket. */
export async function startChat(sim: AmazonConnectSimulator, extra: Partial<StartChatContactCommandInput> = {}) {
  const { connect, participant } = clients(sim);
  const started = await connect.send(new StartChatContactCommand(startInput(sim, extra)));
  const connection = await participant.send(
    new CreateParticipantConnectionCommand({
      ParticipantToken: started.ParticipantToken!,
      Type: ['WEBSOCKET', 'CONNECTION_CREDENTIALS'],
      ConnectParticipant: true,
    }),
  );
  const socket = await ChatSocket.open(connection.Websocket!.Url!);
  return {
    contactId: started.ContactId!,
    participantId: started.ParticipantId!,
    participantToken: started.ParticipantToken!,
    connectionToken: connection.ConnectionCredentials!.ConnectionToken!,
    socket,
    participant,
    connect,
  };
}
