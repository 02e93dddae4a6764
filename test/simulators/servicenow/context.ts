/** What the simulator's routes need from the simulator (kept narrow so routes stay testable). */
import type { Request, Response } from 'express';
import type { SimAuth } from './inbound-auth';
import type { Outbound } from './outbound';
import type { SimAgent, SimConversation, SimIncident, SimMessage, SimRequest } from './state';

export interface StoredFile {
  name: string;
  contentType: string;
  bytes: Buffer;
}

export interface SimContext {
  readonly url: string;
  readonly auth: SimAuth;
  readonly outbound: Outbound;
  readonly agents: SimAgent[];
  readonly conversations: Map<string, SimConversation>;
  readonly seenRequestIds: Set<string>;
  readonly incidents: SimIncident[];
  /** Agent files (`/sys_attachment.do`) and media uploads, by id. */
  readonly files: Map<string, StoredFile>;
  readonly online: Set<number>;
  readonly autoQueue: boolean;
  readonly waitTime: string;
  record(entry: Omit<SimRequest, 'at'>): void;
  log(line: string): void;
  /** Answers with a scripted failure for `path` if one is queued; true when it did. */
  scriptedFailure(path: string, req: Request, res: Response, action?: string): Promise<boolean>;
  createConversation(body: Record<string, unknown>, action: string, requestId: string): SimConversation;
  /** Fetch a user's attachment as ServiceNow does (URL + given headers), in the background. */
  download(conv: SimConversation, message: SimMessage): void;
}
