/**
 * A local stand-in for where Teams keeps users' files: SharePoint/OneDrive behind a
 * pre-authorised `downloadUrl`, or the Bot Connector's `/v3/attachments/...` for pasted images.
 * Each path is scripted with `serve`: bytes with or without Content-Length (streamed in chunks),
 * a status, a redirect, a bearer-token check, or a response that never comes. Every request is
 * recorded with its Authorization header and whether the body was sent to the end, so tests can
 * prove a download stopped early.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedFile {
  body?: Uint8Array | string;
  status?: number;
  contentType?: string;
  /** Send Content-Length (default true). False streams the body chunked. */
  contentLength?: boolean;
  /** Announce this Content-Length instead of the real one (a server that lies, or a huge file). */
  declaredLength?: number;
  /** Write the body in chunks of this many bytes, pausing `chunkDelayMs` between them. */
  chunkSize?: number;
  chunkDelayMs?: number;
  /** Answer a redirect to this URL (absolute or relative). */
  redirectTo?: string;
  /** Answer 401 unless this accepts the bearer token (undefined when none was sent). */
  requireBearer?: (token: string | undefined) => boolean | Promise<boolean>;
  /** Never answer (timeouts). */
  hang?: boolean;
}

export interface FileServerRequest {
  method: string;
  path: string;
  authorization?: string;
  status?: number;
  /** Bytes of the body written before the client went away or the body ended. */
  bytesSent: number;
  /** Whether the whole body was written. */
  completed: boolean;
  /** Whether the client closed the connection before the body ended. */
  aborted: boolean;
}

export interface FakeFileServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: FileServerRequest[];
  /** Script `path` (with its query, if any); returns the full URL. */
  serve(path: string, file: ServedFile): string;
  /** Requests for a path (query included), in order. */
  requestsFor(path: string): FileServerRequest[];
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Until the client read what was written, or went away. */
function drained(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export async function startFakeFileServer(): Promise<FakeFileServer> {
  const routes = new Map<string, ServedFile>();
  const requests: FileServerRequest[] = [];
  const hanging = new Set<http.ServerResponse>();

  const server = http.createServer(async (req, res) => {
    const entry: FileServerRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      authorization: req.headers.authorization,
      bytesSent: 0,
      completed: false,
      aborted: false,
    };
    requests.push(entry);
    res.on('finish', () => {
      entry.completed = true;
    });
    res.on('close', () => {
      if (!entry.completed) entry.aborted = true;
    });
    const route = routes.get(entry.path);
    if (!route) {
      entry.status = 404;
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"itemNotFound"}}');
      return;
    }
    if (route.hang) {
      hanging.add(res);
      return;
    }
    if (route.requireBearer) {
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      if (!(await route.requireBearer(m?.[1]))) {
        entry.status = 401;
        res
          .writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' })
          .end('{"message":"Authorization has been denied for this request."}');
        return;
      }
    }
    if (route.redirectTo) {
      entry.status = 302;
      res.writeHead(302, { location: route.redirectTo }).end();
      return;
    }
    const body = typeof route.body === 'string' ? Buffer.from(route.body) : Buffer.from(route.body ?? new Uint8Array(0));
    const headers: Record<string, string> = { 'content-type': route.contentType ?? 'application/octet-stream' };
    if (route.contentLength !== false) headers['content-length'] = String(route.declaredLength ?? body.byteLength);
    entry.status = route.status ?? 200;
    res.writeHead(entry.status, headers);
    const size = route.chunkSize ?? body.byteLength;
    for (let offset = 0; offset < body.byteLength; offset += size) {
      if (res.destroyed) return;
      const chunk = body.subarray(offset, offset + size);
      const ok = res.write(chunk);
      entry.bytesSent += chunk.byteLength;
      if (!ok) await drained(res);
      if (route.chunkDelayMs) await sleep(route.chunkDelayMs);
    }
    if (res.destroyed) return;
    if (route.declaredLength !== undefined && route.declaredLength > body.byteLength) {
      // Claimed more than it had: give the client time to see the headers, then hang up.
      await Promise.race([new Promise((r) => res.once('close', r)), sleep(200)]);
      res.destroy();
      return;
    }
    res.end();
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    serve(path, file) {
      routes.set(path, file);
      return `${url}${path}`;
    },
    requestsFor(path) {
      return requests.filter((r) => r.path === path);
    },
    close() {
      for (const res of hanging) res.destroy();
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
