import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { DEMO_ACCOUNTS } from '../scripts/seed.js';
import { gql } from './support/graphql.js';

// `pnpm start` as a user runs it: a real child process with its own data
// folder and ports, judged by what it prints and serves. The workspace is
// compiled before the tests (global setup), so this runs what `pnpm start`
// runs after its build step.

const root = new URL('..', import.meta.url).pathname;
const startScript = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: { start: string } }).scripts
  .start;
// The script ends in `exec node …` (exec, so signals reach node, not a shell).
const [node, ...startArgs] = startScript
  .split('&&')
  .pop()!
  .trim()
  .replace(/^exec\s+/, '')
  .split(/\s+/);
const dataDirs: string[] = [];

afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** A base port whose next three are free too: the launcher takes four. */
async function freePortBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const servers: Server[] = [];
    try {
      for (let i = 0; i < 4; i++) servers.push(await listen(base + i));
      return base;
    } catch {
      // taken: try another base
    } finally {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    }
  }
  throw new Error('no four free ports in a row');
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

interface Launched {
  child: ChildProcess;
  output: () => string;
  /** The exit code, or the signal that ended the process. */
  exited: Promise<number | NodeJS.Signals | null>;
}

function launch(env: Record<string, string>): Launched {
  const dataDir = mkdtempSync(join(tmpdir(), 'shopgraph-launcher-'));
  dataDirs.push(dataDir);
  if (node !== 'node') throw new Error(`unexpected start script: ${startScript}`);
  const child = spawn(process.execPath, startArgs, {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: dataDir,
      // What a user's shell has: no test settings, warnings shown.
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  return { child, output: () => output, exited };
}

async function ready(launched: Launched): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (!launched.output().includes('Shopgraph supergraph ready')) {
    if (launched.child.exitCode !== null) throw new Error(`launcher exited:\n${launched.output()}`);
    if (Date.now() > deadline) throw new Error(`launcher not ready:\n${launched.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops the launcher as an orchestrator would; its exit status on SIGTERM is not what these tests judge. */
async function stop(launched: Launched): Promise<void> {
  launched.child.kill('SIGTERM');
  await launched.exited;
}

// The switch is what is tested here; the full query Sandbox sends is the gateway's own concern.
const introspect = (url: string) => gql(url, '{ __schema { queryType { name } } }');

describe('pnpm start', () => {
  it('in production: no demo data, no Sandbox, introspection only when INTROSPECTION=true, no warnings', async () => {
    const port = await freePortBase();
    const launched = launch({ NODE_ENV: 'production', PORT: String(port), INTROSPECTION: 'true' });
    try {
      await ready(launched);
      const url = `http://127.0.0.1:${port}/graphql`;
      const banner = launched.output();
      expect(banner).not.toMatch(/sandbox/i);
      expect(banner).not.toMatch(/demo/i);
      for (const account of DEMO_ACCOUNTS) expect(banner).not.toContain(account.password);

      // Nothing seeded: the catalog is empty and the published logins do not work.
      const catalog = await gql(url, '{ products(first: 1) { totalCount } }');
      expect(catalog.data.products.totalCount).toBe(0);
      const login = await gql(
        url,
        'mutation ($email: String!, $password: String!) { login(input: { email: $email, password: $password }) { accessToken userErrors { code } } }',
        { email: DEMO_ACCOUNTS[0].email, password: DEMO_ACCOUNTS[0].password },
      );
      expect(login.data.login).toEqual({ accessToken: null, userErrors: [{ code: 'INVALID_CREDENTIALS' }] });

      // No landing page for a browser.
      const page = await fetch(url, { headers: { accept: 'text/html' } });
      expect(await page.text()).not.toMatch(/sandbox/i);

      // INTROSPECTION=true wins over the production default.
      const schema = await introspect(url);
      expect(schema.errors).toBeUndefined();
      expect(schema.data.__schema.queryType.name).toBe('Query');
    } finally {
      await stop(launched);
    }
    expect(launched.output()).not.toMatch(/deprecat/i);
    expect(launched.output()).not.toContain('"level":40');
  });

  it('in development: seeds the demo, advertises Sandbox with its internet need, honours INTROSPECTION=false', async () => {
    const port = await freePortBase();
    const launched = launch({ PORT: String(port), INTROSPECTION: 'false' });
    try {
      await ready(launched);
      const url = `http://127.0.0.1:${port}/graphql`;
      const banner = launched.output();
      expect(banner).toContain(`http://127.0.0.1:${port}/graphql`);
      expect(banner).toMatch(/Apollo Sandbox.*needs the internet/);
      expect(banner).toContain(`${DEMO_ACCOUNTS[0].email} / ${DEMO_ACCOUNTS[0].password}`);
      const catalog = await gql(url, '{ products(first: 1) { totalCount } }');
      expect(catalog.data.products.totalCount).toBeGreaterThan(0);
      const schema = await introspect(url);
      expect(schema.data ?? null).toBeNull();
      expect(schema.errors?.[0]?.message).toMatch(/introspection/i);
    } finally {
      await stop(launched);
    }
    expect(launched.output()).not.toMatch(/deprecat/i);
    expect(launched.output()).not.toContain('"level":40');
  });

  it('names the taken port and how to choose another when PORT+2 is in use', async () => {
    const port = await freePortBase();
    const squatter = await listen(port + 2);
    try {
      const launched = launch({ NODE_ENV: 'production', PORT: String(port) });
      expect(await launched.exited).toBe(1);
      expect(launched.output()).toContain(`port ${port + 2} is already in use`);
      expect(launched.output()).toMatch(/PORT=\d+ pnpm start/);
      expect(launched.output()).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  it('refuses to seed the demo accounts in production', async () => {
    const launched = launch({ NODE_ENV: 'production', SEED_DEMO_DATA: 'true', PORT: String(await freePortBase()) });
    expect(await launched.exited).toBe(1);
    expect(launched.output()).toMatch(/SEED_DEMO_DATA: .*never seeded in production/);
  });
});
