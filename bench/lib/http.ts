/**
 * The load generator's HTTP client: plain `node:http` over a pooled keep-alive agent. Leaner
 * than fetch per request, so the generator spends its core on load, not on client overhead.
 */
import http from 'node:http';

export interface HttpResult {
  status: number;
  body: string;
}

/** Below the servers' keep-alive timeout (Node's default 5 s). */
const IDLE_SOCKET_MS = 2000;

export class HttpClient {
  readonly agent: http.Agent;
  private readonly base: URL;

  constructor(baseUrl: string, maxSockets = 256) {
    this.base = new URL(baseUrl);
    // Idle sockets are closed from this side after 2 s, before the server's keep-alive timeout
    // (Node's default 5 s) can close them under us: between interleaved rounds the whole pool
    // idles, and a retry after one stale socket would otherwise take the next stale one.
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo', timeout: IDLE_SOCKET_MS });
  }

  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return this.attempt(method, path, payload, headers).catch((e: NodeJS.ErrnoException & { reusedSocket?: boolean }) => {
      // A kept-alive socket the server closed as idle just as we reused it: the server never read
      // the request, so sending it again cannot duplicate it (the case Node's docs say to retry).
      if (e.reusedSocket && e.code === 'ECONNRESET') return this.attempt(method, path, payload, headers);
      throw e;
    });
  }

  private attempt(method: string, path: string, payload: string | undefined, headers: Record<string, string>): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          agent: this.agent,
          headers: {
            ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', (e: NodeJS.ErrnoException & { reusedSocket?: boolean }) => {
        e.reusedSocket = req.reusedSocket;
        reject(e);
      });
      req.end(payload);
    });
  }

  post(path: string, body: unknown, headers?: Record<string, string>): Promise<HttpResult> {
    return this.request('POST', path, body, headers);
  }

  close(): void {
    this.agent.destroy();
  }
}
