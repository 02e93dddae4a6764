/**
 * jsonBody against express.json on the wire: the same answers for the same requests, both on a
 * real express server with the bridge's JSON error handler behind them.
 */
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { jsonBody } from '../../../bots/http/json-body';
import { jsonErrorHandler } from '../../../bots/http/errors';
import { eventually } from '../../helpers/eventually';
import type { Logger } from '../../../bots/core/ports';

const logger: Logger = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
const LIMIT = 1024;

let server: http.Server;
let handled = 0;
const errorsSeen: string[] = [];
let base: string;

beforeAll(async () => {
  const app = express();
  const echo: express.RequestHandler = (req, res) => res.json({ body: req.body === undefined ? '(undefined)' : req.body });
  app.post('/lean', jsonBody({ limit: LIMIT }), echo);
  app.post('/watched', jsonBody({ limit: LIMIT }), (_req, res) => {
    handled += 1;
    res.end();
  });
  app.post('/stock', express.json({ limit: LIMIT }), echo);
  app.use('/watched', (err: { type?: string }, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
    errorsSeen.push(err.type ?? 'untyped');
    next(err);
  });
  app.use(jsonErrorHandler(logger, { scope: 'test', describeLimit: () => '1 KB' }));
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface Answer {
  status: number;
  body: unknown;
}

/** Raw node:http, so headers and bodies go out exactly as written (fetch would add its own). */
function post(path: string, headers: http.OutgoingHttpHeaders, body?: Buffer | string, chunked = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    if (body !== undefined && chunked) {
      const bytes = Buffer.from(body);
      req.write(bytes.subarray(0, 3));
      req.end(bytes.subarray(3));
    } else req.end(body);
  });
}

const BIG = `{"a":"${'x'.repeat(LIMIT)}"}`;

const json = (body: string, extra: http.OutgoingHttpHeaders = {}) => ({
  'content-type': 'application/json',
  'content-length': Buffer.byteLength(body),
  ...extra,
});

// Every row has all four fields: jest takes a test function with more parameters than the row
// has values for a callback-style test.
const cases: [string, http.OutgoingHttpHeaders, Buffer | string, boolean][] = [
  ['an object', json('{"text":"héllo 👋","n":1}'), '{"text":"héllo 👋","n":1}', false],
  ['an array', json('[1,2]'), '[1,2]', false],
  ['a body in chunks', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, '{"a":"chunked"}', true],
  ['charset=utf-8', json('{"a":1}', { 'content-type': 'application/json; charset=UTF-8' }), '{"a":1}', false],
  ['a +json type (not parsed, as express.json)', json('{"a":1}', { 'content-type': 'application/vnd.api+json' }), '{"a":1}', false],
  ['another content type (not parsed)', { 'content-type': 'text/plain', 'content-length': 7 }, '{"a":1}', false],
  ['no content type (not parsed)', { 'content-length': 7 }, '{"a":1}', false],
  ['an empty body', { 'content-type': 'application/json', 'content-length': 0 }, '', false],
  ['broken JSON', json('{"a":'), '{"a":', false],
  ['a JSON string (not strict)', json('"text"'), '"text"', false],
  ['a body over the limit, declared', json(BIG), BIG, false],
  [
    'a body over the limit, chunked',
    { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    `{"a":"${'x'.repeat(LIMIT)}"}`,
    true,
  ],
  [
    'a gzipped body (handed to express.json)',
    { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    gzipSync('{"zipped":true}'),
    false,
  ],
  [
    'a latin-1 body (handed to express.json)',
    { 'content-type': 'application/json; charset=latin1' },
    Buffer.from('{"a":"caf\xe9"}', 'latin1'),
    false,
  ],
];

describe('jsonBody', () => {
  it.each(cases)('answers %s exactly as express.json does', async (_name, headers, body, chunked) => {
    const stock = await post('/stock', headers, body, chunked);
    const lean = await post('/lean', headers, body, chunked);
    expect(lean).toEqual(stock);
  });

  it('parses what it should and refuses what it should (the cases above are not all alike)', async () => {
    expect(await post('/lean', json('{"a":1}'), '{"a":1}')).toEqual({ status: 200, body: { body: { a: 1 } } });
    expect((await post('/lean', json('{"a":'), '{"a":')).status).toBe(400);
    expect(await post('/lean', json(BIG), BIG)).toMatchObject({
      status: 413,
      body: { error: { message: 'The request body is too large (1 KB at most).' } },
    });
    expect(await post('/lean', { 'content-type': 'text/plain', 'content-length': 7 }, '{"a":1}')).toEqual({
      status: 200,
      body: { body: '(undefined)' },
    });
  });
});

describe('jsonBody, nesting', () => {
  const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

  it('refuses a body nested deeper than the bound with 400 (both parsing paths), before the route runs', async () => {
    const refused = {
      status: 400,
      body: { error: { code: 'bad_request', message: 'The request body is nested more than 64 levels deep.' } },
    };
    expect(await post('/lean', json(deep(65)), deep(65))).toEqual(refused);
    expect(await post('/lean', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(deep(500)))).toEqual(refused);
    expect(await post('/lean', json(deep(64)), deep(64))).toMatchObject({ status: 200 });
    const before = handled;
    expect((await post('/watched', json(deep(500)), deep(500))).status).toBe(400);
    expect(handled).toBe(before);
    expect(errorsSeen.splice(0)).toEqual(['entity.too.deep']);
  });
});

describe('jsonBody, a client that gives up mid-body', () => {
  it('reports request.aborted and never runs the route', async () => {
    await new Promise<void>((resolve) => {
      const req = http.request(`${base}/watched`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': 100 },
      });
      req.on('error', () => resolve());
      req.write('{"a":"only part', () => setTimeout(() => req.destroy(), 50));
    });
    await eventually(() => expect(errorsSeen).toEqual(['request.aborted']));
    expect(handled).toBe(0);
  });
});
