/**
 * Attachments both ways. The customer: StartAttachmentUpload (a pre-signed PUT URL plus the
 * headers it must carry) → PUT the bytes → CompleteAttachmentUpload, which posts the ATTACHMENT
 * item. Either side: GetAttachment gives a short-lived download URL. In Connect those URLs are S3;
 * here they are on the simulator and answer like S3 would (403 for a wrong or late request).
 */
import { randomUUID } from 'node:crypto';
import { connection } from './bearer';
import type { SimContext } from './context';
import { int, type Route, type RouteResult, str, validation } from './http';
import { ATTACHMENT_TYPES } from './items';
import { token } from './state';

/** S3's upload and download URLs are valid for minutes; five here. */
const UPLOAD_URL_TTL_MS = 5 * 60_000;

/**
 * What StartAttachmentUpload says the PUT must carry. Content-Type is certain (the URL is signed
 * for it); the encryption header is our stand-in for the other signed headers S3 may list.
 */
export function uploadHeaders(contentType: string): Record<string, string> {
  return { 'Content-Type': contentType, 'x-amz-server-side-encryption': 'AES256' };
}

const s3Denied = (why: string): RouteResult => ({
  status: 403,
  headers: { 'Content-Type': 'application/xml' },
  raw: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>${why}</Message></Error>`),
});

export function attachmentRoutes(sim: SimContext): Route[] {
  const uploadExpiry = new Map<string, number>();
  const downloads = new Map<string, { attachmentId: string; expiresAt: number }>();

  return [
    {
      operation: 'StartAttachmentUpload',
      method: 'POST',
      path: '/participant/start-attachment-upload',
      handle: ({ req, json }) => {
        const body = json();
        const { contact, participant } = connection(sim, req, { active: true });
        const contentType = str(body, 'ContentType', { required: true, min: 1, max: 255 }) as string;
        const name = str(body, 'AttachmentName', { required: true, min: 1, max: 256 }) as string;
        const size = body.AttachmentSizeInBytes;
        if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) throw validation("'AttachmentSizeInBytes' must be at least 1");
        if (!(contentType in ATTACHMENT_TYPES)) throw validation(`Attachments of type ${contentType} are not supported`);
        if (size > sim.limits.attachmentMaxBytes)
          throw validation(`Attachment is ${size} bytes; the limit is ${sim.limits.attachmentMaxBytes}`);
        const attachmentId = randomUUID();
        const uploadKey = token();
        sim.state.attachments.set(attachmentId, {
          attachmentId,
          contactId: contact.initialContactId,
          participantId: participant.participantId,
          name,
          contentType,
          size,
          uploadKey,
          status: 'IN_PROGRESS',
        });
        const expiresAt = Date.now() + UPLOAD_URL_TTL_MS;
        uploadExpiry.set(uploadKey, expiresAt);
        return {
          json: {
            AttachmentId: attachmentId,
            UploadMetadata: {
              Url: `${sim.url}/attachments/upload/${uploadKey}`,
              UrlExpiry: new Date(expiresAt).toISOString(),
              HeadersToInclude: uploadHeaders(contentType),
            },
          },
        };
      },
    },
    {
      operation: 'UploadAttachmentBytes',
      method: 'PUT',
      path: '/attachments/upload/{key}',
      bodyLimit: sim.limits.attachmentMaxBytes + 1,
      handle: ({ req, params, body }) => {
        const attachment = [...sim.state.attachments.values()].find((a) => a.uploadKey === params.key);
        const expiresAt = uploadExpiry.get(params.key) ?? 0;
        if (!attachment || expiresAt < Date.now()) return s3Denied('Request has expired or the URL is not valid');
        for (const [name, value] of Object.entries(uploadHeaders(attachment.contentType))) {
          if (req.headers[name.toLowerCase()] !== value)
            return s3Denied(`The request signature we calculated does not match: header ${name}`);
        }
        if (body.byteLength !== attachment.size) return s3Denied(`Signed for ${attachment.size} bytes, got ${body.byteLength}`);
        attachment.bytes = body;
        return { status: 200, headers: { ETag: `"${attachment.attachmentId}"` }, raw: Buffer.alloc(0) };
      },
    },
    {
      operation: 'CompleteAttachmentUpload',
      method: 'POST',
      path: '/participant/complete-attachment-upload',
      handle: ({ req, json }) => {
        const body = json();
        const { contact, participant } = connection(sim, req, { active: true });
        const ids = body.AttachmentIds;
        if (!Array.isArray(ids) || ids.length !== 1) throw validation("'AttachmentIds' must hold exactly one id");
        const attachment = sim.state.attachments.get(String(ids[0]));
        if (!attachment || attachment.contactId !== contact.initialContactId || attachment.participantId !== participant.participantId) {
          throw validation(`Attachment ${String(ids[0])} is not yours in this chat`);
        }
        if (!attachment.bytes) throw validation(`Attachment ${attachment.attachmentId} has not been uploaded`);
        if (attachment.status !== 'APPROVED') {
          attachment.status = 'APPROVED';
          sim.post(contact, participant, {
            Type: 'ATTACHMENT',
            ContentType: attachment.contentType,
            Attachments: [
              {
                ContentType: attachment.contentType,
                AttachmentId: attachment.attachmentId,
                AttachmentName: attachment.name,
                Status: 'APPROVED',
              },
            ],
          });
        }
        return { json: {} };
      },
    },
    {
      operation: 'GetAttachment',
      method: 'POST',
      path: '/participant/attachment',
      handle: ({ req, json }) => {
        const body = json();
        const { contact } = connection(sim, req, { active: false });
        const attachmentId = str(body, 'AttachmentId', { required: true, min: 1, max: 256 }) as string;
        const seconds = int(body, 'UrlExpiryInSeconds', 5, 300) ?? 300;
        const attachment = sim.state.attachments.get(attachmentId);
        if (!attachment || attachment.contactId !== contact.initialContactId)
          throw validation(`Attachment ${attachmentId} is not in this chat`);
        if (attachment.status !== 'APPROVED' || !attachment.bytes) throw validation(`Attachment ${attachmentId} is not available`);
        const key = token();
        const expiresAt = Date.now() + seconds * 1000;
        downloads.set(key, { attachmentId, expiresAt });
        return {
          json: {
            Url: `${sim.url}/attachments/download/${key}`,
            UrlExpiry: new Date(expiresAt).toISOString(),
            AttachmentSizeInBytes: attachment.size,
          },
        };
      },
    },
    {
      operation: 'DownloadAttachmentBytes',
      method: 'GET',
      path: '/attachments/download/{key}',
      handle: ({ params }) => {
        const grant = downloads.get(params.key);
        const attachment = grant ? sim.state.attachments.get(grant.attachmentId) : undefined;
        if (!grant || !attachment?.bytes || grant.expiresAt < Date.now()) return s3Denied('Request has expired or the URL is not valid');
        return {
          headers: {
            'Content-Type': attachment.contentType,
            'Content-Length': String(attachment.bytes.byteLength),
            'Content-Disposition': `attachment; filename="${encodeURIComponent(attachment.name)}"`,
          },
          raw: attachment.bytes,
        };
      },
    },
  ];
}
