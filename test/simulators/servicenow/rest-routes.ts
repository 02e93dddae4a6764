/**
 * The instance's other APIs the bridge uses: `/oauth_token.do`, the Table API (the
 * `awa_agent_presence_capacity` view and record creation), the secure media upload, and
 * `/sys_attachment.do` for agents' files. All need REST auth (Basic or OAuth), never message auth.
 */
import { randomBytes } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { SimContext } from './context';

export const CHAT_CHANNEL = '27f675e3739713004a905ee515f6a7c3';
export const AVAILABLE_STATE = '0b10223c57a313005baaaa65ef94f970';
const OFFLINE_STATE = '6a1d3c1c57a313005baaaa65ef94f9a4';
const OTHER_CHANNEL = 'd1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6';

export function restRoutes(sim: SimContext): Router {
  const router = express.Router();
  const json = express.json({ limit: '1mb' });

  router.post('/oauth_token.do', express.urlencoded({ extended: false }), async (req, res) => {
    if (await sim.scriptedFailure('/oauth_token.do', req, res)) return;
    const { status, body } = sim.auth.issue(req.body ?? {});
    sim.record({ method: 'POST', path: '/oauth_token.do', auth: 'none', action: String(req.body?.grant_type), status });
    res.status(status).json(body);
  });

  /** Every REST route checks the caller first; returns false after answering 401. */
  const authed = (req: Request, res: Response, path: string): boolean => {
    const who = sim.auth.restCaller(req.headers);
    if (who) return true;
    sim.record({ method: req.method, path, auth: 'none', status: 401 });
    res
      .status(401)
      .json({ error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' }, status: 'failure' });
    return false;
  };

  router.get('/api/now/table/awa_agent_presence_capacity', async (req, res) => {
    const path = '/api/now/table/awa_agent_presence_capacity';
    if (await sim.scriptedFailure(path, req, res)) return;
    if (!authed(req, res, path)) return;
    const plain = req.query.sysparm_exclude_reference_link === 'true';
    const rows = presenceRows(sim, plain).filter((row) => matches(row, String(req.query.sysparm_query ?? '')));
    const fields = typeof req.query.sysparm_fields === 'string' ? req.query.sysparm_fields.split(',') : undefined;
    sim.record({ method: 'GET', path, auth: sim.auth.restCaller(req.headers)!, status: 200 });
    res.json({ result: rows.map((r) => (fields ? Object.fromEntries(fields.map((f) => [f, r[f] ?? ''])) : r)) });
  });

  router.post('/api/now/table/:table', json, async (req, res) => {
    const path = `/api/now/table/${req.params.table}`;
    if (await sim.scriptedFailure(path, req, res)) return;
    if (!authed(req, res, path)) return;
    const record = {
      ...(req.body as object),
      sys_id: randomBytes(16).toString('hex'),
      number: `INC${String(10040 + sim.incidents.length + 1).padStart(7, '0')}`,
    };
    sim.incidents.push(record);
    sim.record({ method: 'POST', path, auth: sim.auth.restCaller(req.headers)!, body: req.body, status: 201 });
    sim.log(
      `${req.params.table} ${record.number} created: ${String((req.body as { short_description?: string }).short_description ?? '')}`,
    );
    res.status(201).json({ result: record });
  });

  router.post('/api/now/v1/cccif/media/upload', express.raw({ type: () => true, limit: '30mb' }), async (req, res) => {
    const path = '/api/now/v1/cccif/media/upload';
    if (await sim.scriptedFailure(path, req, res)) return;
    if (!authed(req, res, path)) return;
    const form = await new Response(Buffer.from(req.body as Buffer), { headers: { 'content-type': req.headers['content-type'] ?? '' } })
      .formData()
      .catch(() => undefined);
    const file = form?.get('file');
    if (!form?.get('user_id') || !(file instanceof Blob)) {
      sim.record({ method: 'POST', path, auth: 'basic', status: 400 });
      return void res.status(400).json({ status: 'failure', error: { message: 'user_id and file are required' } });
    }
    const id = randomBytes(16).toString('hex');
    const name = (file as File).name || 'upload';
    sim.files.set(id, { name, contentType: file.type || 'application/octet-stream', bytes: Buffer.from(await file.arrayBuffer()) });
    sim.record({
      method: 'POST',
      path,
      auth: sim.auth.restCaller(req.headers)!,
      body: { user_id: form.get('user_id'), name },
      status: 200,
    });
    res.json({ result: { mediaUrl: `${sim.url}/api/now/v1/cccif/media/${id}`, name, state: 'pending', attachmentId: id } });
  });

  router.get('/sys_attachment.do', (req, res) => {
    if (!authed(req, res, '/sys_attachment.do')) return;
    const file = sim.files.get(String(req.query.sys_id ?? ''));
    sim.record({ method: 'GET', path: '/sys_attachment.do', auth: sim.auth.restCaller(req.headers)!, status: file ? 200 : 404 });
    if (!file) return void res.status(404).json({ error: { message: 'No such attachment' } });
    res.set('Content-Type', file.contentType).set('Content-Disposition', `attachment; filename="${file.name}"`).send(file.bytes);
  });
  return router;
}

type Row = Record<string, unknown>;

/** One row per agent on the chat channel, plus an agent at full capacity and one on another channel. */
function presenceRows(sim: SimContext, plain: boolean): Row[] {
  const ref = (table: string, value: string) => (plain ? value : { link: `${sim.url}/api/now/table/${table}/${value}`, value });
  const row = (user: string, available: boolean, channel: string, workload: number) => ({
    ap_agent: ref('sys_user', user),
    ap_current_presence_state: ref('awa_presence_state', available ? AVAILABLE_STATE : OFFLINE_STATE),
    ac_channel: ref('awa_service_channel', channel),
    aca_available: String(available),
    ac_workload: String(workload),
    ac_applied_max_capacity: '3',
  });
  return [
    ...sim.agents.map((a, i) => row(a.userSysId, sim.online.has(i), CHAT_CHANNEL, 0)),
    row('b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0', true, CHAT_CHANNEL, 3), // available, but no room for another chat
    row('c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0', true, OTHER_CHANNEL, 0), // available on another channel
  ];
}

/** `a=b^c=d` encoded queries, equality only (what the bridge sends). */
function matches(row: Row, query: string): boolean {
  return query
    .split('^')
    .filter(Boolean)
    .every((cond) => {
      const [field, value] = cond.split('=');
      const v = row[field];
      const actual = v && typeof v === 'object' ? (v as { value: string }).value : v;
      return actual === undefined || String(actual) === value;
    });
}
