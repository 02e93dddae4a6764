/**
 * `X-Amz-Bearer` checks: the Participant Service authenticates by token, not SigV4. Connect
 * answers a missing, unknown or expired token with 403 AccessDeniedException; the exact message
 * text is ours.
 */
import type { IncomingMessage } from 'node:http';
import type { SimContext } from './context';
import { accessDenied } from './http';
import type { ConnectionGrant, SimContact, SimParticipant } from './state';

export function bearer(req: IncomingMessage): string {
  const value = req.headers['x-amz-bearer'];
  if (typeof value !== 'string' || value.length === 0) throw accessDenied('Missing X-Amz-Bearer token');
  return value;
}

export interface Connected {
  grant: ConnectionGrant;
  contact: SimContact;
  participant: SimParticipant;
}

/**
 * The connection a ConnectionToken opens. `active`: the call changes the chat (send, upload,
 * disconnect), which an ended chat refuses; reading the transcript or a file still works.
 */
export function connection(sim: SimContext, req: IncomingMessage, opts: { active: boolean }): Connected {
  const value = bearer(req);
  const grant = sim.state.connections.get(value);
  if (!grant) throw accessDenied('Invalid ConnectionToken');
  if (grant.expiresAt <= Date.now()) throw accessDenied('ConnectionToken has expired');
  const contact = sim.state.contact(grant.contactId);
  if (opts.active && contact.status === 'ended') throw accessDenied('The participant is not part of an active chat');
  return { grant, contact, participant: contact.customer };
}
