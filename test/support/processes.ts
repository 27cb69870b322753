import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** The repository root: service mains are started from here, as in the container image. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A JSON log line a service wrote. */
export type LogLine = Record<string, unknown> & { msg?: string };

/** A service main running as its own Node process, as in production. */
export interface ServiceProcess {
  name: string;
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  child: ChildProcess;
  /** Every JSON log line it wrote to stdout so far (unless started with `retainLogs: false`). */
  logs: LogLine[];
  /** Sends SIGTERM and resolves to the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `entry` (a service main, relative to the repository root) the way
 * the container image does: `node --import tsx --import
 * @shopgraph/lib/telemetry/register <entry>`, on a free port (PORT=0), with
 * `env` added to this process's environment. Resolves once it logged the
 * line `listening` matches, with the port it logged.
 */
export async function startServiceProcess(
  name: string,
  entry: string,
  env: Record<string, string>,
  options: { listening?: RegExp; retainLogs?: boolean } = {},
): Promise<ServiceProcess> {
  const listening = options.listening ?? new RegExp(`^${name} (probes )?listening$`);
  const retainLogs = options.retainLogs ?? true;
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env };
  // Jest's VM-modules flag is for the test runner only.
  delete childEnv.NODE_OPTIONS;
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', '@shopgraph/lib/telemetry/register', entry], {
    cwd: repoRoot,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const stderr: string[] = [];
  let onLine: ((line: LogLine) => void) | undefined;
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { msg: text, unparsed: true };
    }
    if (retainLogs) logs.push(line);
    onLine?.(line);
  });
  createInterface({ input: child.stderr! }).on('line', (text) => stderr.push(text));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('did not start within 90 s')), 90_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(new Error(`${name}: ${error.message}\n${stderr.slice(-20).join('\n')}`));
    };
    onLine = (line) => {
      if (typeof line.msg !== 'string' || !listening.test(line.msg)) return;
      clearTimeout(timer);
      const url = typeof line.url === 'string' ? new URL(line.url) : undefined;
      resolve(Number(url?.port ?? line.port));
    };
    void exited.then(([code, signal]) => fail(new Error(`exited early (code ${code}, signal ${signal})`)));
  });
  onLine = undefined;

  return {
    name,
    url: `http://127.0.0.1:${port}`,
    child,
    logs,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await exited;
      return code;
    },
  };
}
