import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateSigningKey } from '@shopgraph/lib';
import { NOTIFICATIONS_CONSUMER, ORDER_STATS_CONSUMER } from '@shopgraph/customer';
import { adminUrl, testDatabaseTargets, type TestDatabases } from './support/database.js';
import { deleteTopology, TEST_AMQP_URL, uniqueExchange, waitFor } from './support/events.js';
import { gql } from './support/graphql.js';
import { databaseEnv, testServiceSecret } from './support/process-stack.js';
import { Shop } from './support/shop.js';

// What each image holds, run as each image runs it: the folders the
// Dockerfile's build stage writes (scripts/deploy-packages.sh: compiled code
// and production dependencies only), started with the images' `node` command
// as separate processes against real Postgres and RabbitMQ. An order placed
// through the gateway travels through the relay and the broker to the
// customer subgraph's consumers. As in docker-compose.yml, each subgraph has
// a database and a role of its own, which the migrate image provisions before
// it runs each subgraph's migrations as that role.

const root = new URL('..', import.meta.url).pathname;
const NODE = [process.execPath, '--conditions=shopgraph-dist', '--enable-source-maps'];

let out: string;
let databases: TestDatabases;
const exchange = uniqueExchange('deployed');
const signingKey = generateSigningKey('deployed-test');
const processes = new Map<string, { child: ChildProcess; output: string[] }>();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `node <script>` in one deployed folder, with only the environment given. */
function start(name: string, folder: string, script: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(NODE[0]!, [...NODE.slice(1), ...script], {
    cwd: join(out, folder),
    env: { PATH: process.env.PATH, NODE_ENV: 'production', LOG_LEVEL: 'info', SERVICE_NAME: name, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  processes.set(name, { child, output });
  return child;
}

const logsOf = (name: string) => processes.get(name)!.output.join('');

async function ready(name: string, port: number): Promise<void> {
  await waitFor(
    `${name} to be ready`,
    async () => {
      if (processes.get(name)!.child.exitCode !== null) throw new Error(`${name} exited:\n${logsOf(name)}`);
      const res = await fetch(`http://127.0.0.1:${port}/ready`);
      return res.ok;
    },
    90_000,
    250,
  );
}

const ports: Record<string, number> = {};
let gateway: string;

beforeAll(async () => {
  // The global setup compiled the workspace; write the images' folders.
  out = mkdtempSync(join(tmpdir(), 'shopgraph-deploy-'));
  execFileSync('sh', ['scripts/deploy-packages.sh', out], { cwd: root, stdio: 'inherit' });
  // Nothing exists yet: the migrate image creates the databases and roles.
  databases = testDatabaseTargets({ prefix: 'sgdeployed' });
  for (const name of ['gateway', 'customer', 'inventory', 'order', 'relay']) ports[name] = await freePort();

  const broker = { AMQP_URL: TEST_AMQP_URL, EVENTS_EXCHANGE: exchange };
  const jwks = { JWKS_URL: `http://127.0.0.1:${ports.customer}/.well-known/jwks.json` };
  const calls = { SERVICE_AUTH_SECRET: testServiceSecret() };
  const { urls } = databases;

  const migrate = start('migrate', 'migrate', ['dist/cli.js', 'latest'], {
    DATABASE_ADMIN_URL: adminUrl,
    ...databaseEnv(urls, 'customer'),
    ...databaseEnv(urls, 'inventory'),
    ...databaseEnv(urls, 'order'),
  });
  const migrated = await new Promise<number | null>((resolve) => migrate.once('exit', resolve));
  expect({ migrated, logs: migrated === 0 ? '' : logsOf('migrate') }).toEqual({ migrated: 0, logs: '' });

  start('customer', 'customer', ['dist/main.js'], {
    ...databaseEnv(urls, 'customer'),
    ...broker,
    ...calls,
    PORT: String(ports.customer),
    JWT_KEY_ID: signingKey.kid,
    JWT_PRIVATE_KEY: signingKey.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    EVENTS_RETRY_BASE_DELAY_MS: '200',
  });
  await ready('customer', ports.customer!);
  start('inventory', 'inventory', ['dist/main.js'], {
    ...databaseEnv(urls, 'inventory'),
    ...jwks,
    ...calls,
    PORT: String(ports.inventory),
  });
  start('order', 'order', ['dist/main.js'], {
    ...databaseEnv(urls, 'order'),
    ...broker,
    ...jwks,
    ...calls,
    PORT: String(ports.order),
    OUTBOX_RELAY: 'false',
    INVENTORY_SERVICE_URL: `http://127.0.0.1:${ports.inventory}`,
    CUSTOMER_SERVICE_URL: `http://127.0.0.1:${ports.customer}`,
  });
  start('relay', 'order', ['dist/relay.main.js'], {
    ...databaseEnv(urls, 'order'),
    ...broker,
    PORT: String(ports.relay),
    OUTBOX_POLL_INTERVAL_MS: '200',
  });
  start('gateway', 'gateway', ['dist/main.js'], {
    ...jwks,
    PORT: String(ports.gateway),
    CUSTOMER_URL: `http://127.0.0.1:${ports.customer}/graphql`,
    INVENTORY_URL: `http://127.0.0.1:${ports.inventory}/graphql`,
    ORDER_URL: `http://127.0.0.1:${ports.order}/graphql`,
  });
  await Promise.all(['inventory', 'order', 'relay', 'gateway'].map((name) => ready(name, ports[name]!)));
  gateway = `http://127.0.0.1:${ports.gateway}/graphql`;
}, 240_000);

afterAll(async () => {
  await Promise.all(
    [...processes.values()].map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }),
  );
  await databases?.drop();
  await deleteTopology(exchange, [ORDER_STATS_CONSUMER, NOTIFICATIONS_CONSUMER], 5);
  if (out) rmSync(out, { recursive: true, force: true });
}, 60_000);

describe('the services as their images run them', () => {
  it('hold compiled code and production dependencies only', () => {
    for (const folder of readdirSync(out)) {
      const manifest = JSON.parse(readFileSync(join(out, folder, 'package.json'), 'utf8')) as Record<string, unknown>;
      expect(Object.keys((manifest.devDependencies as object | undefined) ?? {})).toEqual([]);
      const modules = readdirSync(join(out, folder, 'node_modules'));
      for (const tool of ['typescript', 'tsx', 'jest', '@electric-sql']) expect(modules).not.toContain(tool);
      expect(readdirSync(join(out, folder))).not.toContain('src');
    }
  });

  it('serve a customer end to end: an order through the gateway reaches the consumers through the relay and RabbitMQ', async () => {
    const shop = new Shop(gateway, { signingKey });
    const product = await shop.product({ stock: 5, price: '12.50' });
    const customer = await shop.customer();
    const placed = await gql(
      gateway,
      `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id total { amount } } userErrors { code } } }`,
      { input: { lines: [{ productId: product, quantity: 2 }], idempotencyKey: 'deployed-1' } },
      customer.headers,
    );
    expect(placed.errors).toBeUndefined();
    expect(placed.data.placeOrder).toMatchObject({ order: { total: { amount: '25.00' } }, userErrors: [] });
    expect(await shop.stock(product)).toBe(3);

    const stats = await waitFor(
      'the order event to reach the customer subgraph',
      async () => {
        const me = await gql(gateway, `{ me { orderCount totalSpent { amount } } }`, {}, customer.headers);
        return me.data?.me?.orderCount === 1 ? me.data.me : undefined;
      },
      30_000,
      200,
    );
    expect(stats).toEqual({ orderCount: 1, totalSpent: [{ amount: '25.00' }] });
  });

  it('log as their own service', () => {
    for (const name of ['gateway', 'customer', 'inventory', 'order', 'relay', 'migrate']) {
      const lines = logsOf(name)
        .split('\n')
        .filter((l) => l.startsWith('{'));
      expect(lines.length).toBeGreaterThan(0);
      expect(new Set(lines.map((l) => (JSON.parse(l) as { service: string }).service))).toEqual(new Set([name]));
    }
  });
});
