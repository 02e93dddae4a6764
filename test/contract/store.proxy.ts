/**
 * A TCP proxy in front of Redis, so tests can make Redis "go away" (stop), "hang" (freeze) and
 * come back (start again on the same port) without touching the shared Redis server itself.
 */
import net from 'node:net';

export class TcpProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private frozen = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Listen on 127.0.0.1 (on the previous port when restarting). Resolves the port. */
  async start(): Promise<number> {
    this.frozen = false;
    const server = net.createServer((downstream) => this.relay(downstream));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Redis went away: refuse new connections and cut the open ones. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Redis hangs: connections stay open but no bytes pass in either direction. */
  freeze(): void {
    this.frozen = true;
  }

  private relay(downstream: net.Socket): void {
    const upstream = net.connect(this.targetPort, this.targetHost);
    for (const socket of [downstream, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        downstream.destroy();
        upstream.destroy();
      });
    }
    downstream.on('data', (chunk) => this.frozen || upstream.write(chunk));
    upstream.on('data', (chunk) => this.frozen || downstream.write(chunk));
  }
}
