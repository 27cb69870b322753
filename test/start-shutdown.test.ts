import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from '@jest/globals';
import { openPglite } from '@shopgraph/lib';
import { DEMO_ACCOUNTS } from '../scripts/seed.js';
import { TEST_PASSWORD_COST } from './support/auth.js';
import { spawnService, type ServiceProcess } from './support/spawn-service.js';

// `pnpm start` exactly as the README runs it (embedded PGlite, one process),
// stopped with SIGTERM while requests are in flight.
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** Orders in flight at the signal: PGlite runs in the process's one thread, so a few keep it busy. */
const ORDERS = 12;
const dataDir = mkdtempSync(join(tmpdir(), 'shopgraph-start-'));
let launcher: ServiceProcess | undefined;

afterAll(async () => {
  await launcher?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Four consecutive free ports: the gateway's and the three subgraphs' after it. */
async function consecutiveFreePorts(): Promise<number> {
  const isFree = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const free = await Promise.all([0, 1, 2, 3].map((i) => isFree(base + i)));
    if (free.every(Boolean)) return base;
  }
}

const post = (url: string, query: string, variables: object, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  }).then(async (res) => ({ status: res.status, body: (await res.json()) as { data?: any; errors?: unknown } }));

const LOGIN = `mutation ($email: String!, $password: String!) { login(input: { email: $email, password: $password }) { accessToken userErrors { code } } }`;
const PLACE_ORDER = `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } userErrors { code } } }`;

it('exits 0 on SIGTERM after answering its in-flight requests, with every order and its outbox row kept', async () => {
  // Four ports in a row may be taken between the check and the launch: try again then.
  for (let attempt = 1; ; attempt++) {
    launcher = await spawnService('shopgraph', 'scripts/start-embedded.ts', {
      port: await consecutiveFreePorts(),
      command: ['pnpm', 'start'],
      env: {
        NODE_ENV: 'development',
        DATA_DIR: dataDir,
        PASSWORD_HASH_MEMORY_KIB: String(TEST_PASSWORD_COST.memoryKiB),
        PASSWORD_HASH_ITERATIONS: String(TEST_PASSWORD_COST.iterations),
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      },
    });
    try {
      await launcher.waitFor('/ready', 120_000);
      break;
    } catch (error) {
      if (attempt >= 3 || !launcher.tail().includes('EADDRINUSE')) throw error;
    }
  }
  const url = launcher!.graphqlUrl;
  const ada = { email: DEMO_ACCOUNTS[0].email, password: DEMO_ACCOUNTS[0].password };
  const login = await post(url, LOGIN, ada);
  const headers = { authorization: `Bearer ${login.body.data.login.accessToken}` };
  const catalog = await post(url, `{ products(first: 100) { edges { node { id available } } } }`, {});
  const [best] = (catalog.body.data.products.edges as { node: { id: string; available: number } }[])
    .map((e) => e.node)
    .sort((x, y) => y.available - x.available);
  expect(best!.available).toBeGreaterThanOrEqual(ORDERS);
  const productId = best!.id;

  let signalled = Date.now();
  const requests = [
    ...Array.from({ length: ORDERS }, () =>
      post(url, PLACE_ORDER, { input: { lines: [{ productId, quantity: 1 }], idempotencyKey: randomUUID() } }, headers),
    ),
    ...Array.from({ length: 5 }, () => post(url, LOGIN, ada)),
  ].map((p) =>
    p.catch((error: unknown) => ({
      status: 0,
      body: {
        errors: `${String(error)} (${String((error as Error).cause)}) ${Date.now() - signalled} ms after SIGTERM`,
      } as {
        data?: any;
        errors?: unknown;
      },
    })),
  );
  // In flight means the server has read them: PGlite runs in the process's
  // one thread and can keep it from reading sockets for a while, so wait until
  // it answers a probe sent after them (one pass of its event loop accepts and
  // reads every pending connection).
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect((await fetch(`${launcher.url}/health`)).status).toBe(200);
  signalled = Date.now();
  launcher.signal('SIGTERM');
  const [results, exit] = await Promise.all([Promise.all(requests), launcher.exit]);

  expect({ code: exit.code, signal: exit.signal, log: exit.code === 0 ? '' : launcher.tail() }).toEqual({
    code: 0,
    signal: null,
    log: '',
  });
  expect(exit.at - signalled).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
  expect(results.filter((r) => r.status !== 200 || r.body.errors)).toEqual([]);
  expect(results.slice(0, ORDERS).filter((r) => r.body.data.placeOrder.userErrors.length > 0)).toEqual([]);

  // Every answered order is in the database with its event in the outbox.
  const orderIds = results.slice(0, ORDERS).map((r) => r.body.data.placeOrder.order.id as string);
  const pglite = await openPglite(join(dataDir, 'pg'));
  try {
    const { rows } = await pglite.query<{ n: number }>(
      `select count(*)::int as n from orders.outbox_event where type = 'order.created' and aggregate_id = any($1::uuid[])`,
      [orderIds],
    );
    expect(rows[0]?.n).toBe(ORDERS);
  } finally {
    await pglite.close();
  }
}, 180_000);
