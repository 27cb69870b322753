/**
 * `pnpm bench:startup [runs]`: how long `pnpm start` takes to its first
 * answer on an existing embedded data folder (a warm start), compared in one
 * run with the same launcher through tsx and with the compiled launcher
 * without the build check. Prints wall time and the CPU time of the whole
 * process tree (pnpm, tsc, node) until the gateway first answers; CPU time is
 * the steadier figure on a shared machine. Linux only (reads /proc).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const runs = Number(process.argv[2] ?? 3);
const port = 20_000 + Math.floor(Math.random() * 20_000);
const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

const variants: Record<string, string[]> = {
  'pnpm start (build check + compiled)': ['pnpm', 'start'],
  'tsx launcher': [process.execPath, '--import', 'tsx', 'scripts/start-embedded.ts'],
  'compiled launcher only': [process.execPath, '--conditions=shopgraph-dist', 'scripts/dist/start-embedded.js'],
};

/** CPU seconds used so far by every process in a process group, and by its reaped children. */
function groupCpuSeconds(pgid: number): number {
  const pids = execFileSync('ps', ['-o', 'pid=', '-g', String(pgid)], { encoding: 'utf8' })
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
  let total = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name: utime stime cutime cstime are 14-17 (1-based).
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      total += [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    } catch {
      // exited meanwhile: its time is in its parent's cutime
    }
  }
  return total / ticks;
}

async function answers(): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    return res.ok;
  } catch {
    return false;
  }
}

async function measure(command: string[], dataDir: string): Promise<{ wall: number; cpu: number }> {
  const started = performance.now();
  const child = spawn(command[0]!, command.slice(1), {
    cwd: root,
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
  });
  while (!(await answers())) {
    if (child.exitCode !== null) throw new Error(`${command.join(' ')} exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const wall = (performance.now() - started) / 1000;
  const cpu = groupCpuSeconds(child.pid!);
  process.kill(-child.pid!, 'SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { wall, cpu };
}

const dataDir = mkdtempSync(join(tmpdir(), 'shopgraph-bench-startup-'));
try {
  execFileSync('pnpm', ['--silent', 'build'], { cwd: root, stdio: 'inherit' });
  // A first start creates, migrates and seeds the data folder; the runs below are warm starts.
  await measure(variants['compiled launcher only']!, dataDir);
  const results: Record<string, { wall: number; cpu: number }[]> = {};
  for (let i = 0; i < runs; i++) {
    for (const [name, command] of Object.entries(variants)) {
      (results[name] ??= []).push(await measure(command, dataDir));
    }
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  process.stdout.write(`warm start to first answer, median of ${runs} runs (port ${port})\n`);
  for (const [name, samples] of Object.entries(results)) {
    process.stdout.write(
      `  ${name.padEnd(38)} wall ${median(samples.map((s) => s.wall)).toFixed(2)} s   cpu ${median(samples.map((s) => s.cpu)).toFixed(2)} s\n`,
    );
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
