import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with a request: forward it, reset its connection, or never answer. */
export type ProxyRule = 'pass' | 'reset' | 'hang';

/**
 * An HTTP proxy on 127.0.0.1 in front of one service, so a test can make
 * calls to it fail in chosen ways (per request: forwarded, connection reset,
 * or left hanging) and act between the service's answer and its delivery
 * (`onAnswer`, e.g. to kill the caller after inventory reserved).
 */
export class HttpProxy {
  /** Decides each request's fate; forwards everything by default. */
  rule: (req: http.IncomingMessage) => ProxyRule = () => 'pass';
  /** Runs after the target answered and before the answer is passed on. */
  onAnswer: ((req: http.IncomingMessage, status: number) => Promise<void> | void) | undefined;
  /** Requests seen, as "METHOD path". */
  readonly seen: string[] = [];
  private readonly hanging = new Set<http.ServerResponse>();

  private constructor(
    private readonly server: http.Server,
    private readonly target: string,
  ) {}

  static async start(target: string): Promise<HttpProxy> {
    const ref: { proxy?: HttpProxy } = {};
    const server = http.createServer((req, res) => void ref.proxy?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ref.proxy = new HttpProxy(server, target.replace(/\/+$/, ''));
    return ref.proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.seen.push(`${req.method} ${req.url}`);
    res.on('error', () => undefined);
    const rule = this.rule(req);
    if (rule === 'reset') {
      req.socket.resetAndDestroy();
      return;
    }
    if (rule === 'hang') {
      this.hanging.add(res);
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name)),
      ) as Record<string, string>;
      const answer = await fetch(`${this.target}${req.url}`, {
        method: req.method,
        headers,
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      });
      const body = Buffer.from(await answer.arrayBuffer());
      await this.onAnswer?.(req, answer.status);
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(body);
    } catch {
      req.socket.destroy();
    }
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
