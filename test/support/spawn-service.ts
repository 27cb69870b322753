import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: services run from there, as in the containers. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** When the process ended (Date.now()). */
  at: number;
}

/**
 * A service running as its own process, the way it runs in production: its
 * output is kept for failure messages, and `exit` resolves when it ends.
 */
export class ServiceProcess {
  readonly output: string[] = [];
  readonly exit: Promise<Exit>;
  exited: Exit | undefined;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => this.output.push(chunk));
    }
    this.exit = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exited = { code, signal, at: Date.now() };
        resolve(this.exited);
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get graphqlUrl(): string {
    return `${this.url}/graphql`;
  }

  /** The last lines it printed, for an assertion message. */
  tail(lines = 30): string {
    return this.output.join('').split('\n').slice(-lines).join('\n');
  }

  /** Resolves once `path` answers 200; fails early, with the output, if the process ends first. */
  async waitFor(path = '/health', timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`${this.name} exited (${JSON.stringify(this.exited)}):\n${this.tail()}`);
      try {
        const res = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${this.name} did not answer ${path} within ${timeoutMs} ms:\n${this.tail()}`);
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(signal);
  }

  /** Cleanup: ends the process whatever state it is in. */
  async kill(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGKILL');
    await this.exit;
  }
}

export interface SpawnOptions {
  /** Extra environment; PORT is set to `port`. */
  env?: Record<string, string | undefined>;
  port?: number;
  /** Command and arguments; defaults to `node --import tsx <entry>`, as the containers run a service. */
  command?: [string, ...string[]];
}

/** Starts `entry` (a path from the repository root) as its own process on a free port. */
export async function spawnService(name: string, entry: string, options: SpawnOptions = {}): Promise<ServiceProcess> {
  const port = options.port ?? (await freePort());
  const [command, ...args] = options.command ?? [process.execPath, '--import', 'tsx', entry];
  const env: Record<string, string | undefined> = {
    ...process.env,
    // jest's flags are not the service's.
    NODE_OPTIONS: undefined,
    // As deployed: production mode also decides Apollo's own defaults (signal handling among them).
    NODE_ENV: 'production',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    SERVICE_NAME: name,
    HOST: '127.0.0.1',
    PORT: String(port),
    ...options.env,
  };
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new ServiceProcess(name, child, port);
}
