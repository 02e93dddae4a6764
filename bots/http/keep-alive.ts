/**
 * Socket pools for the bridge's own outbound HTTP clients (the Bot Connector client, the Slack
 * Web API transport), and the one failure they may always retry.
 */
import http from 'node:http';
import https from 'node:https';

export interface KeepAlivePoolOptions {
  /** Sockets per host, in use and free. */
  maxSocketsPerHost: number;
  /** A free socket is closed after this long idle (keep it below the server's own idle timeout). */
  idleSocketTimeoutMs: number;
}

export type KeepAliveAgents = Record<'http:' | 'https:', http.Agent>;

/**
 * One keep-alive agent per protocol. `maxFreeSockets` equals `maxSockets`: with Node's default
 * (256 free, any number in use) every socket beyond 256 is closed when a burst ends, and the next
 * burst reconnects (TLS handshakes included). `timeout` is what closes idle pooled sockets
 * (`keepAliveMsecs` only paces TCP keep-alive probes); the agent applies it to free sockets only.
 */
export function keepAliveAgents(options: KeepAlivePoolOptions): KeepAliveAgents {
  const agentOptions: http.AgentOptions = {
    keepAlive: true,
    maxSockets: options.maxSocketsPerHost,
    maxFreeSockets: options.maxSocketsPerHost,
    timeout: options.idleSocketTimeoutMs,
  };
  return { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };
}

/**
 * Whether a request failed only because the server closed the kept-alive socket it reused at the
 * same moment: ECONNRESET or EPIPE on a reused socket before any response. The server never saw
 * the request, so it is safe to send once more on a fresh socket (Node's documentation
 * recommends exactly this retry), even when the request is not idempotent.
 */
export function isStaleSocketFailure(req: http.ClientRequest, err: NodeJS.ErrnoException, responded: boolean): boolean {
  return !responded && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
}
