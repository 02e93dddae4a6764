/**
 * Files both ways over the Participant Service. From the agent: GetAttachment gives a short-lived
 * download URL, the bytes are fetched and handed to the user as a file. From the user:
 * StartAttachmentUpload → PUT to the presigned URL with exactly the headers Connect names →
 * CompleteAttachmentUpload, within Connect's types and 20 MB; a file Connect would refuse is
 * refused here first, with a message the user can act on.
 */
import { CompleteAttachmentUploadCommand, GetAttachmentCommand, StartAttachmentUploadCommand } from '@aws-sdk/client-connectparticipant';
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import type { FileRef } from '../../../bots/core/ports';
import type { AwsCalls } from './aws-calls';

/** Files Connect accepts in chat (Admin Guide, "Amazon Connect feature specifications"). */
export const CONNECT_FILE_TYPES = new Set([
  'text/csv',
  'application/msword',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'image/heic',
  'image/jpeg',
  'video/quicktime',
  'video/mp4',
  'application/pdf',
  'image/png',
  'application/vnd.ms-powerpoint',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/rtf',
  'text/plain',
  'audio/wav',
  'application/vnd.ms-excel',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
]);
export const CONNECT_FILE_MAX_BYTES = 20 * 1024 * 1024;

export class ConnectAttachments {
  constructor(
    private readonly calls: AwsCalls,
    private readonly fetchFn: typeof fetch,
  ) {}

  /** An agent's file, downloaded (at most `maxBytes`). */
  async download(connectionToken: string, attachmentId: string, name: string, contentType: string, maxBytes: number): Promise<FileRef> {
    const { Url } = await this.calls.run('GetAttachment', 'safe', () =>
      this.calls.participant.send(
        new GetAttachmentCommand({ AttachmentId: attachmentId, ConnectionToken: connectionToken, UrlExpiryInSeconds: 60 }),
      ),
    );
    if (!Url) throw new BridgeError(ErrorCode.DeskRejected, 'Amazon Connect GetAttachment gave no URL');
    const res = await this.fetchFn(Url);
    if (!res.ok)
      throw new BridgeError(ErrorCode.DeskUnavailable, `Amazon Connect attachment download answered ${res.status}`, { status: res.status });
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.byteLength > maxBytes) throw new BridgeError(ErrorCode.FileRejected, `the agent's file ${name} is over ${maxBytes} bytes`);
    return { name, contentType, size: bytes.byteLength, content: bytes };
  }

  /** A user's file to the agent; `clientToken` makes a retried upload one attachment. */
  async upload(connectionToken: () => Promise<string>, file: FileRef, clientToken: string, renew: () => Promise<void>): Promise<void> {
    const bytes = file.content;
    if (!bytes) throw new BridgeError(ErrorCode.FileRejected, 'it could not be read.');
    if (!CONNECT_FILE_TYPES.has(file.contentType)) {
      throw new BridgeError(ErrorCode.FileRejected, `the agent's desk does not take ${file.contentType} files.`);
    }
    if (bytes.byteLength > CONNECT_FILE_MAX_BYTES) {
      throw new BridgeError(ErrorCode.FileRejected, "it is over the agent desk's 20 MB limit.");
    }
    const started = await this.calls.run(
      'StartAttachmentUpload',
      'safe',
      async () =>
        this.calls.participant.send(
          new StartAttachmentUploadCommand({
            ConnectionToken: await connectionToken(),
            ContentType: file.contentType,
            AttachmentName: file.name,
            AttachmentSizeInBytes: bytes.byteLength,
            ClientToken: clientToken,
          }),
        ),
      renew,
    );
    const url = started.UploadMetadata?.Url;
    const attachmentId = started.AttachmentId;
    if (!attachmentId || !url) throw new BridgeError(ErrorCode.DeskRejected, 'Amazon Connect StartAttachmentUpload gave no upload URL');
    const res = await this.fetchFn(url, {
      method: 'PUT',
      headers: started.UploadMetadata?.HeadersToInclude ?? {},
      body: Buffer.from(bytes),
    });
    if (!res.ok)
      throw new BridgeError(ErrorCode.DeskUnavailable, `Amazon Connect attachment upload answered ${res.status}`, {
        status: res.status,
        retryable: true,
      });
    await this.calls.run(
      'CompleteAttachmentUpload',
      'safe',
      async () =>
        this.calls.participant.send(
          new CompleteAttachmentUploadCommand({
            AttachmentIds: [attachmentId],
            ClientToken: clientToken,
            ConnectionToken: await connectionToken(),
          }),
        ),
      renew,
    );
  }
}
