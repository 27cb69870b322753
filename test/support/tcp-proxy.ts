import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a server (Postgres, RabbitMQ, an HTTP
 * service), so a test can inflict on one client what a network or a failover
 * does, while the server itself stays up for everyone else:
 *
 * - {@link reset}: every open connection is dropped (RST), new ones pass: a
 *   database restart or failover;
 * - {@link refuse}: new connections are reset as they arrive, open ones stay;
 * - {@link cut}: both: a full outage;
 * - {@link blackhole}: open and new connections stay up but nothing passes in
 *   either direction: a partition or a dead host, where only timeouts help;
 * - {@link restore}: back to normal (black-holed connections stay dead, as
 *   they would after a real partition).
 *
 * The proxy keeps its port for its whole life, so no other process can take
 * it during an outage.
 */
export class TcpProxy {
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket | null }>();
  private mode: 'pass' | 'refuse' | 'blackhole' = 'pass';
  /** Connections accepted so far (including refused ones). */
  accepted = 0;

  private constructor(
    private readonly target: { host: string; port: number },
    private readonly server: net.Server,
    public readonly port: number,
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const ref: { proxy?: TcpProxy } = {};
    const server = net.createServer((client) => ref.proxy?.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    ref.proxy = new TcpProxy(
      { host: targetHost, port: targetPort },
      server,
      (server.address() as net.AddressInfo).port,
    );
    return ref.proxy;
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    client.on('error', () => undefined);
    if (this.mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    const pair = { client, upstream: null as net.Socket | null };
    this.pairs.add(pair);
    client.on('close', () => {
      this.pairs.delete(pair);
      pair.upstream?.destroy();
    });
    if (this.mode === 'blackhole') {
      // Accepted, then silence: what a client sees of a host that is gone.
      client.pause();
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    pair.upstream = upstream;
    upstream.on('error', () => undefined);
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  }

  /** Drops every open connection with a reset; new connections pass. */
  async reset(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.resetAndDestroy();
      upstream?.destroy();
    }
  }

  /** Resets new connections as they arrive; open ones keep working. */
  async refuse(): Promise<void> {
    this.mode = 'refuse';
  }

  /** Drops every open connection and resets new ones until {@link restore}. */
  async cut(): Promise<void> {
    this.mode = 'refuse';
    await this.reset();
  }

  /** Nothing passes any more, in either direction, and nobody is told. */
  async blackhole(): Promise<void> {
    this.mode = 'blackhole';
    for (const { client, upstream } of this.pairs) {
      client.unpipe();
      upstream?.unpipe();
      client.pause();
      upstream?.pause();
    }
  }

  /** Passes new connections again. */
  async restore(): Promise<void> {
    this.mode = 'pass';
  }

  /** The URL `url` (postgres://, amqp://, http://) rewritten to go through this proxy. */
  urlFor(url: string): string {
    const rewritten = new URL(url);
    rewritten.hostname = '127.0.0.1';
    rewritten.port = String(this.port);
    return rewritten.toString();
  }

  async close(): Promise<void> {
    await this.cut();
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream?.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
