/**
 * `POST /api/sn_va_as_service/bot/integration` as an instance answers it (agent-apis.md §1.3-1.5):
 * checks auth and the required fields, applies the action, answers `{"status":"success"}`, and
 * posts the asynchronous replies to the outbound URL after the answer has gone out.
 */
import express, { type Request, type Response, type Router } from 'express';
import * as payloads from './payloads';
import type { SimContext } from './context';
import type { SimConversation, SimMessage } from './state';

export const VA_PATH = '/api/sn_va_as_service/bot/integration';

type Body = Record<string, unknown>;

export function vaRoutes(sim: SimContext): Router {
  const router = express.Router();
  router.post(VA_PATH, express.raw({ type: () => true, limit: '10mb' }), async (req: Request, res: Response) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let body: Body | undefined;
    try {
      const parsed: unknown = JSON.parse(raw.toString('utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Body;
    } catch {
      body = undefined;
    }
    const action = typeof body?.action === 'string' ? body.action : undefined;
    if (await sim.scriptedFailure(VA_PATH, req, res, action)) return;
    const auth = sim.auth.vaCaller(req.headers, raw, body);
    const answer = (status: number, error?: string) => {
      sim.record({ method: 'POST', path: VA_PATH, auth: auth ?? 'none', action, body, status });
      if (error) res.status(status).json({ status: 'failure', error: { message: error, detail: error } });
      else res.status(status).json({ status: 'success' });
    };
    if (!auth) return answer(401, 'User Not Authenticated');
    if (!body) return answer(400, 'Request body must be a JSON object');
    const problem = missingField(body, action);
    if (problem) return answer(400, problem);
    const requestId = String(body.requestId);
    if (sim.seenRequestIds.has(requestId)) return answer(200); // a retry of a request already applied
    const outcome = apply(sim, body, action, requestId);
    if (outcome.error) return answer(outcome.status ?? 400, outcome.error);
    sim.seenRequestIds.add(requestId);
    answer(200);
    // The real output arrives later, at the outbound URL.
    if (outcome.after)
      res.once('finish', () => void outcome.after!().catch((e) => sim.log(`outbound post failed: ${(e as Error).message}`)));
  });
  return router;
}

function missingField(body: Body, action: string | undefined): string | undefined {
  if (typeof body.requestId !== 'string' || !body.requestId) return 'requestId is required';
  if (typeof body.userId !== 'string' || !body.userId) return 'userId is required';
  if (typeof body.clientSessionId !== 'string' || !body.clientSessionId) return 'clientSessionId is required';
  const message = body.message;
  if (action === 'UPDATE_MESSAGES') {
    const ok =
      Array.isArray(message) &&
      message.every((m) => m && typeof m.id === 'string' && ['sent_to_user', 'external_error'].includes(m.status));
    return ok ? undefined : 'message must be an array of {id, status: sent_to_user|external_error}';
  }
  if (!message || typeof message !== 'object') return 'message is required';
  const m = message as Body;
  if (typeof m.typed !== 'boolean' && m.typed !== 'true' && m.typed !== 'false') return 'message.typed is required';
  if (typeof m.text !== 'string' && !m.attachment) return 'message.text is required unless there is an attachment';
  if (action === 'END_CONVERSATION' && m.text !== '') return 'message.text must be empty for END_CONVERSATION';
  // Both timestamp forms appear in ServiceNow's docs: 13-digit ms and 10-digit seconds.
  if (body.timestamp !== undefined && !/^\d{10}(\d{3})?$/.test(String(body.timestamp)))
    return 'timestamp must be epoch seconds or milliseconds';
  return undefined;
}

interface Outcome {
  status?: number;
  error?: string;
  after?: () => Promise<unknown>;
}

function apply(sim: SimContext, body: Body, action: string | undefined, requestId: string): Outcome {
  const id = String(body.clientSessionId);
  const conv = sim.conversations.get(id);
  const message = body.message as Body;
  if (conv) conv.lastRequestId = requestId;
  switch (action) {
    case 'START_CONVERSATION':
    case 'AGENT': {
      if (conv && conv.status !== 'ended') return {};
      const fresh = sim.createConversation(body, action, requestId);
      sim.log(`chat ${id} queued (${action}) for ${fresh.userId}: ${fresh.opening.text.split('\n')[0]}`);
      return { after: () => (sim.autoQueue ? sim.outbound.post(id, payloads.queued(fresh, sim.waitTime)) : Promise.resolve()) };
    }
    case 'END_CONVERSATION':
      if (!conv) return { status: 400, error: `No conversation ${id}` };
      if (conv.status === 'ended') return {};
      conv.status = 'ended';
      conv.endedBy = 'user';
      sim.log(`chat ${id} ended by the user`);
      return { after: () => sim.outbound.post(id, payloads.closedByUser(conv)) };
    case 'TYPING':
    case 'VIEWING':
      conv?.typing.push(action);
      return {};
    case 'UPDATE_MESSAGES':
      conv?.receipts.push(...(body.message as { id: string; status: string }[]));
      return {};
    case undefined:
      if (!conv) return { status: 400, error: `No conversation ${id}` };
      userMessages(sim, conv, message);
      return {};
    case 'SEND_HISTORY':
    case 'SET_USER_TIMEZONE':
      return {};
    default:
      return { status: 400, error: `Unsupported action ${action}` };
  }
}

function userMessages(sim: SimContext, conv: SimConversation, message: Body): void {
  const attachments = Array.isArray(message.attachment) ? message.attachment : message.attachment ? [message.attachment] : [undefined];
  attachments.forEach((attachment, i) => {
    const entry: SimMessage = {
      from: 'user',
      text: i === 0 && typeof message.text === 'string' ? message.text : '',
      clientMessageId: typeof message.clientMessageId === 'string' ? message.clientMessageId : undefined,
      ...(attachment ? { attachment: attachment as SimMessage['attachment'] } : {}),
      at: Date.now(),
    };
    (conv.status === 'ended' ? conv.afterEnd : conv.messages).push(entry);
    if (entry.text) sim.log(`chat ${conv.id} user: ${entry.text}`);
    if (entry.attachment?.url && conv.status !== 'ended') sim.download(conv, entry);
  });
}
