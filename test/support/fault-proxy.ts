import net from 'node:net';

/** What the proxy does with a connection. */
export type ProxyMode =
  /** Pass bytes both ways. */
  | 'forward'
  /** Accept and read, but never answer: a hung server. */
  | 'hang';

/**
 * A TCP proxy on 127.0.0.1 in front of an HTTP service that can turn into a
 * hung server or reset connections, while the service itself stays up. It
 * counts the connections it accepts, so a test can tell a retry from none.
 */
export class FaultProxy {
  private readonly sockets = new Set<net.Socket>();
  private mode: ProxyMode = 'forward';
  private resets = 0;
  /** Connections accepted since start (reset ones included). */
  connections = 0;

  private constructor(
    private readonly targetPort: number,
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetUrl: string): Promise<FaultProxy> {
    const ref: { proxy?: FaultProxy } = {};
    const server = net.createServer((client) => ref.proxy?.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    ref.proxy = new FaultProxy(Number(new URL(targetUrl).port), server, (server.address() as net.AddressInfo).port);
    return ref.proxy;
  }

  /** The target URL with the proxy's port. */
  url(targetUrl: string): string {
    const url = new URL(targetUrl);
    url.port = String(this.port);
    return url.toString();
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
  }

  private accept(client: net.Socket): void {
    this.connections++;
    this.track(client);
    if (this.resets > 0) {
      this.resets--;
      client.resetAndDestroy();
      return;
    }
    if (this.mode === 'hang') {
      client.resume();
      return;
    }
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    this.track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  /** Closes every open connection (clients must reconnect) and handles new ones in `mode`. */
  setMode(mode: ProxyMode): void {
    this.mode = mode;
    for (const socket of this.sockets) socket.destroy();
  }

  /** Resets the next `count` new connections as soon as they are accepted; open ones are closed first. */
  resetNext(count: number): void {
    this.resets = count;
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
