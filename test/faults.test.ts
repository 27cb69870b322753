import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  defaultTokenSettings,
  generateSigningKey,
  signAccessToken,
  SUBGRAPHS,
  type SubgraphName,
} from '@shopgraph/lib';
import { connectNeighbours } from '@shopgraph/order';
import { sql } from 'kysely';
import pg from 'pg';
import { adminUrl, createTestDatabases, withPgClient, type TestDatabases } from './support/database.js';
import { brokerProxy, deleteTopology, tapExchange, TEST_AMQP_URL, uniqueExchange, waitFor } from './support/events.js';
import {
  closeFixtureDbs,
  insertCustomers,
  insertProducts,
  openFixtureDbs,
  type FixtureDbs,
} from './support/fixtures.js';
import { startProcessStack, type ProcessStack } from './support/process-stack.js';
import { TcpProxy } from './support/tcp-proxy.js';

// The production faults, injected into the services running as their own
// processes (customer, inventory, order, standalone relay, gateway), each on
// its own database as its own role, against the real Postgres and RabbitMQ,
// each reached through a TCP proxy the test controls. Timeouts are shortened
// through the same environment variables an operator would set; reservations
// expire after 10 s here, so stock held for orders that failed comes back
// within a test.
const TIMEOUTS = {
  DATABASE_CONNECT_TIMEOUT_MS: 1000,
  DATABASE_STATEMENT_TIMEOUT_MS: 2000,
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: 6000,
  READY_TIMEOUT_MS: 1000,
  SHUTDOWN_TIMEOUT_MS: 10_000,
  // No lame-duck period: the SIGTERM tests below exercise the drain itself.
  SHUTDOWN_DELAY_MS: 0,
  OUTBOX_CONFIRM_TIMEOUT_MS: 3000,
  RESERVATION_TTL_SECONDS: 10,
  RESERVATION_SWEEP_INTERVAL_MS: 300,
  RESERVATION_CALL_POLL_INTERVAL_MS: 200,
  // Calls between the services get more than the default 2 s: the test
  // shares two cores with another test file, and failing fast on a slow
  // neighbour is tested elsewhere (placement-across-services).
  SERVICE_CALL_TIMEOUT_MS: 5000,
};
/** README: a request needing the database fails within connect + statement timeout + 1 s. */
const FAILURE_BOUND_MS = TIMEOUTS.DATABASE_CONNECT_TIMEOUT_MS + TIMEOUTS.DATABASE_STATEMENT_TIMEOUT_MS + 1000;
const SERVICES = ['customer', 'inventory', 'order', 'order-relay'];

let databases: TestDatabases;
let db: FixtureDbs;
let pgProxy: TcpProxy;
let amqpProxy: TcpProxy;
let exchange: string;
let stack: ProcessStack;
let tap: Awaited<ReturnType<typeof tapExchange>>;
let productId: string;
const INITIAL_STOCK = 1_000_000;
let customers: { id: string; headers: Record<string, string> }[];

beforeAll(async () => {
  databases = await createTestDatabases();
  db = openFixtureDbs(databases.urls);
  // One proxy in front of the server that holds the three databases.
  pgProxy = await TcpProxy.start(Number(new URL(databases.urls.order).port || 5432));
  amqpProxy = await brokerProxy();
  exchange = uniqueExchange('faults');
  tap = await tapExchange(exchange);
  const [product] = await insertProducts(db.inventory, 1, 'F', INITIAL_STOCK);
  productId = product!.id;
  stack = await startProcessStack({
    databaseUrls: Object.fromEntries(SUBGRAPHS.map((s) => [s, pgProxy.urlFor(databases.urls[s])])) as Record<
      SubgraphName,
      string
    >,
    amqpUrl: amqpProxy.urlFor(TEST_AMQP_URL),
    exchange,
    env: {
      ...Object.fromEntries(Object.entries(TIMEOUTS).map(([k, v]) => [k, String(v)])),
      DATABASE_POOL_SIZE: '5',
      OUTBOX_POLL_INTERVAL_MS: '200',
      JWKS_COOLDOWN_MS: '500',
    },
  });
  customers = (await insertCustomers(db.customer, 8, 'fault')).map((c) => ({
    id: c.id,
    headers: { authorization: `Bearer ${stack.token({ customerId: c.id, role: 'CUSTOMER' })}` },
  }));
}, 120_000);

afterAll(async () => {
  await stack?.kill();
  await tap?.close();
  await pgProxy?.close();
  await amqpProxy?.close();
  await deleteTopology(exchange, ['customer.order-stats', 'customer.notifications'], 5).catch(() => undefined);
  await closeFixtureDbs(db);
  await databases?.drop();
});

interface Outcome {
  key: string;
  kind: 'ok' | 'temporary' | 'other';
  orderId?: string;
  detail?: string;
  ms: number;
}

const PLACE_ORDER = `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } userErrors { code message } } }`;
const ADDRESS = { name: 'Fault Test', line1: '1 Test St', city: 'Leeds', postalCode: 'LS1 1AA', countryCode: 'GB' };

/** One placeOrder through a GraphQL endpoint, classified as a client would see it. */
async function placeOrder(url: string, customer: (typeof customers)[number], key: string): Promise<Outcome> {
  const started = Date.now();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...customer.headers },
      body: JSON.stringify({
        query: PLACE_ORDER,
        variables: { input: { lines: [{ productId, quantity: 1 }], shippingAddress: ADDRESS, idempotencyKey: key } },
      }),
      // Longer than an idempotency key's lease (2 calls + the database bound + 5 s): a retry whose
      // first attempt could not give its key back waits for the lease to lapse.
      signal: AbortSignal.timeout(45_000),
    });
    const body = (await res.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
    const ms = Date.now() - started;
    const orderId: string | undefined = body.data?.placeOrder?.order?.id;
    if (!body.errors && orderId) return { key, kind: 'ok', orderId, ms };
    const codes = (body.errors ?? []).map((e) => e.extensions?.code);
    if (codes.length > 0 && codes.every((c) => c === 'SERVICE_UNAVAILABLE')) return { key, kind: 'temporary', ms };
    return { key, kind: 'other', detail: `${res.status} ${JSON.stringify(body)}`, ms };
  } catch (error) {
    return { key, kind: 'other', detail: String(error), ms: Date.now() - started };
  }
}

/** `workers` clients placing orders back to back until `stop()`; resolves to every outcome. */
function orderLoad(url: string, workers: number) {
  let running = true;
  const outcomes: Outcome[] = [];
  const done = Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const customer = customers[w % customers.length]!;
      while (running) outcomes.push(await placeOrder(url, customer, randomUUID()));
    }),
  );
  return {
    outcomes,
    stop: async () => {
      running = false;
      await done;
      return outcomes;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Ends every backend a service holds on the test databases, idle or busy, as an operator or a failover would. */
async function terminateServiceBackends(): Promise<number> {
  const { rows } = await withPgClient(adminUrl, (admin) =>
    admin.query<{ n: string }>(
      `select count(*) filter (where pg_terminate_backend(pid)) as n from pg_stat_activity
        where datname = any($1) and application_name = any($2)`,
      [Object.values(databases.names), SERVICES],
    ),
  );
  return Number(rows[0]?.n ?? 0);
}

/** The subgraph whose database holds `table` (schema-qualified). */
const ownerOf = (table: string): SubgraphName =>
  ({ customer: 'customer', inventory: 'inventory', orders: 'order' })[table.split('.')[0]!] as SubgraphName;

/**
 * Holds the product's row lock (on a direct connection to inventory's
 * database) so orders stop mid-reservation until `release`.
 */
async function lockProduct(): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: databases.urls.inventory });
  await client.connect();
  await client.query('begin');
  await client.query('select id from inventory.product where id = $1 for update', [productId]);
  return {
    release: async () => {
      await client.query('commit').catch(() => undefined);
      await client.end();
    },
  };
}

/**
 * Checks every order of the test's customers is whole (lines, history, one
 * created event) and, once every confirmation was delivered and every unused
 * reservation expired, that stock, reservations and ledger agree: each order
 * holds one confirmed unit, nothing else holds any.
 */
async function expectNoPartialOrders(): Promise<number> {
  const ids = customers.map((c) => c.id);
  const orders = await db.order.selectFrom('orders.order').select(['id']).where('customer_id', 'in', ids).execute();
  const broken = await sql<{ id: string; lines: string; history: string; created: string }>`
    select o.id,
      (select count(*) from orders.order_line l where l.order_id = o.id) as lines,
      (select count(*) from orders.order_status_history h where h.order_id = o.id) as history,
      (select count(*) from orders.outbox_event e where e.aggregate_id = o.id and e.type = 'order.created') as created
    from orders."order" o
    where o.customer_id in (${sql.join(ids)})
      and not (
        (select count(*) from orders.order_line l where l.order_id = o.id) = 1
        and (select count(*) from orders.order_status_history h where h.order_id = o.id) = 1
        and (select count(*) from orders.outbox_event e where e.aggregate_id = o.id and e.type = 'order.created') = 1
      )`.execute(db.order);
  expect(broken.rows).toEqual([]);
  const settled = await waitFor(
    'every confirmation delivered and every unused reservation expired',
    async () => {
      const [calls, held] = await Promise.all([
        db.order.selectFrom('orders.reservation_call').select('order_id').execute(),
        db.inventory
          .selectFrom('inventory.reservation')
          .select(['order_id', 'status'])
          .where('status', 'in', ['RESERVED', 'CONFIRMED'])
          .execute(),
      ]);
      return calls.length === 0 && held.every((r) => r.status === 'CONFIRMED') ? held : undefined;
    },
    45_000,
    250,
  );
  expect(settled.map((r) => r.order_id).sort()).toEqual(orders.map((o) => o.id).sort());
  const product = await db.inventory
    .selectFrom('inventory.product')
    .select('stock')
    .where('id', '=', productId)
    .executeTakeFirstOrThrow();
  const ledger = await db.inventory
    .selectFrom('inventory.stock_ledger')
    .select((eb) => eb.fn.sum<string>('delta').as('sum'))
    .where('product_id', '=', productId)
    .executeTakeFirstOrThrow();
  expect(product.stock).toBe(INITIAL_STOCK - orders.length);
  expect(Number(ledger.sum)).toBe(product.stock);
  return orders.length;
}

const expectAllRunning = () => {
  for (const p of stack.all())
    expect({ service: p.name, exited: p.exited }).toEqual({ service: p.name, exited: undefined });
};

describe('tokens in JWKS mode', () => {
  it('accepts 50 concurrent valid tokens on freshly started verifiers', async () => {
    // The first requests these processes see: the gateway and the order
    // subgraph fetch the customer subgraph's JWKS while they arrive.
    const query = `{ orders(first: 1) { edges { node { id } } } }`;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fetch(i % 2 ? stack.gateway.graphqlUrl : stack.order.graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...customers[i % customers.length]!.headers },
          body: JSON.stringify({ query }),
        }).then(async (res) => ({ status: res.status, body: (await res.json()) as { errors?: unknown } })),
      ),
    );
    expect(results.filter((r) => r.status !== 200 || r.body.errors)).toEqual([]);
  });
});

/** Background work for inventory's sweeper and order's call dispatcher that comes due while the faults go on. */
async function backgroundWorkDueDuringFaults(): Promise<void> {
  // A reservation nobody will confirm (an order process that died after reserving): the sweeper must return it.
  const inventory = connectNeighbours({
    inventoryUrl: stack.inventory.url,
    customerUrl: stack.customer.url,
    serviceAuth: { service: 'order', secrets: [stack.env.SERVICE_AUTH_SECRET!] },
  }).inventory;
  const orphan = await inventory.reserve({
    orderId: randomUUID(),
    actor: customers[0]!.id,
    lines: [{ productId, quantity: 1 }],
  });
  expect(orphan.ok).toBe(true);
  // A confirmation still to be delivered (again: confirming is idempotent), due in two seconds.
  const placed = await placeOrder(stack.gateway.graphqlUrl, customers[0]!, randomUUID());
  expect(placed.kind).toBe('ok');
  await db.order
    .insertInto('orders.reservation_call')
    .values({
      order_id: placed.orderId!,
      action: 'CONFIRM',
      actor: customers[0]!.id,
      next_attempt_at: sql<Date>`now() + interval '2 seconds'`,
    })
    .execute();
}

describe('database faults', () => {
  it('survives connection resets, terminated backends and refused connections, mid-transaction and idle, under load', async () => {
    // The sweeper's and the dispatcher's work is settled after the faults (expectNoPartialOrders).
    await backgroundWorkDueDuringFaults();
    const load = orderLoad(stack.gateway.graphqlUrl, 8);
    await sleep(800);

    // Reset every connection while orders wait mid-transaction on a row lock.
    let lock = await lockProduct();
    await sleep(400);
    await pgProxy.reset();
    await sleep(100);
    await lock.release();
    await sleep(500);

    // Terminate every backend of the services: idle ones in the pools, busy ones, the relay's LISTEN.
    expect(await terminateServiceBackends()).toBeGreaterThan(0);
    await sleep(500);

    // And again mid-transaction, by pg_terminate_backend this time.
    lock = await lockProduct();
    await sleep(400);
    expect(await terminateServiceBackends()).toBeGreaterThan(0);
    await lock.release();
    await sleep(500);

    // The database refuses connections for a moment (a failover in progress).
    await pgProxy.cut();
    await sleep(800);
    await pgProxy.restore();
    await sleep(1500);
    const outcomes = await load.stop();

    expectAllRunning();
    const byKind = (kind: Outcome['kind']) => outcomes.filter((o) => o.kind === kind);
    // Clean, coded errors only: every failure is SERVICE_UNAVAILABLE.
    expect(byKind('other')).toEqual([]);
    expect(byKind('temporary').length).toBeGreaterThan(0);
    expect(byKind('ok').length).toBeGreaterThan(0);

    // Recovered without a restart: a fresh burst succeeds entirely.
    const after = await Promise.all(
      Array.from({ length: 16 }, (_, i) => placeOrder(stack.gateway.graphqlUrl, customers[i % 8]!, randomUUID())),
    );
    expect(after.filter((o) => o.kind !== 'ok')).toEqual([]);

    // A client retries what failed with the same idempotency key: each
    // purchase exists exactly once, whether or not its first attempt committed.
    const retried = await Promise.all(
      byKind('temporary').map((o, i) => placeOrder(stack.gateway.graphqlUrl, customers[i % 8]!, o.key)),
    );
    expect(retried.filter((o) => o.kind !== 'ok')).toEqual([]);
    const orderCount = await expectNoPartialOrders();
    // The load's orders, the ones after it, and the one placed before the faults.
    expect(orderCount).toBe(outcomes.length + after.length + 1);
    expectAllRunning();
  }, 150_000);

  it('fails a request within the bound when the database is black-holed, answers /ready 503 in time, and recovers', async () => {
    await pgProxy.blackhole();
    try {
      const started = Date.now();
      const outcome = await placeOrder(stack.order.graphqlUrl, customers[0]!, randomUUID());
      expect(outcome.kind).toBe('temporary');
      expect(Date.now() - started).toBeLessThan(FAILURE_BOUND_MS + 1500);

      const probeStarted = Date.now();
      const ready = await fetch(`${stack.inventory.url}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'unavailable', checks: { database: 'down' } });
      expect(Date.now() - probeStarted).toBeLessThan(TIMEOUTS.READY_TIMEOUT_MS + 1000);
      // The gateway stays ready: its replicas would not help by leaving the load balancer.
      expect((await fetch(`${stack.gateway.url}/ready`)).status).toBe(200);
    } finally {
      await pgProxy.restore();
      // When a real partition heals, the far end resets connections it gave
      // up on; the proxy keeps black-holed ones silent for ever, so it resets
      // them here, or pooled connections stay dead for the tests that follow.
      await pgProxy.reset();
    }
    await waitFor(
      'orders to succeed again',
      async () => (await placeOrder(stack.order.graphqlUrl, customers[0]!, randomUUID())).kind === 'ok',
      30_000,
      200,
    );
    expect((await fetch(`${stack.inventory.url}/ready`)).status).toBe(200);
    expectAllRunning();
  }, 60_000);
});

describe('broker faults', () => {
  it('keeps the gateway and the subgraphs ready through a broker cut while orders succeed, and delivers every event after', async () => {
    await amqpProxy.cut();
    const probes: number[] = [];
    let probing = true;
    const probing$ = (async () => {
      while (probing) {
        probes.push((await fetch(`${stack.gateway.url}/ready`)).status);
        await sleep(100);
      }
    })();
    let outcomes: Outcome[];
    try {
      await waitFor('the relay to report the broker down', async () => {
        const res = await fetch(`${stack.relay.url}/ready`);
        return res.status === 503 && ((await res.json()) as { checks: { broker: string } }).checks.broker === 'down';
      });
      outcomes = await Promise.all(
        Array.from({ length: 40 }, (_, i) => placeOrder(stack.gateway.graphqlUrl, customers[i % 8]!, randomUUID())),
      );
      const order = await fetch(`${stack.order.url}/ready`);
      expect(order.status).toBe(200);
      expect(await order.json()).toMatchObject({ status: 'ready', checks: { database: 'up', broker: 'down' } });
      await sleep(500);
    } finally {
      probing = false;
      await probing$;
      await amqpProxy.restore();
    }
    expect(outcomes.filter((o) => o.kind !== 'ok')).toEqual([]);
    expect(probes.length).toBeGreaterThan(3);
    expect(probes.filter((status) => status !== 200)).toEqual([]);

    const orderIds = new Set(outcomes.map((o) => o.orderId));
    await waitFor(
      'every order.created of the outage to reach the exchange',
      () => [...orderIds].every((id) => tap.messages.some((m) => JSON.parse(m.content.toString()).aggregateId === id)),
      30_000,
      200,
    );
    expectAllRunning();
  }, 60_000);
});

/** Fires `count` requests at once and resolves when all are answered (or failed), with their status and body. */
function inFlight(count: number, send: (i: number) => Promise<Response>) {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      send(i).then(
        async (res) => ({ status: res.status, body: (await res.json()) as { data?: any; errors?: unknown } }),
        (error: unknown) => ({ status: 0, body: { errors: String(error) } as { data?: any; errors?: unknown } }),
      ),
    ),
  );
}

const gqlPost = (url: string, query: string, variables: object, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });

/** Ten placeOrder requests at once, from the test's customers. */
const ordersInFlight = (url: string) =>
  inFlight(10, (i) =>
    gqlPost(
      url,
      PLACE_ORDER,
      { input: { lines: [{ productId, quantity: 1 }], shippingAddress: ADDRESS, idempotencyKey: randomUUID() } },
      customers[i % 8]!.headers,
    ),
  );

/** Holds an ACCESS EXCLUSIVE lock on a table, so every statement reading it waits (mid-request) until `release`. */
async function lockTable(table: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: databases.urls[ownerOf(table)] });
  await client.connect();
  await client.query('begin');
  await client.query(`lock table ${table} in access exclusive mode`);
  return {
    release: async () => {
      await client.query('commit').catch(() => undefined);
      await client.end();
    },
  };
}

/**
 * SIGTERM while `requests` are in flight (held mid-request by a lock that is
 * released shortly after the signal): every one is answered, and the process
 * exits 0 within the shutdown bound.
 */
async function expectCleanShutdown(
  service: ProcessStack['gateway'],
  hold: () => Promise<{ release(): Promise<void> }>,
  requests: () => ReturnType<typeof inFlight>,
) {
  const lock = await hold();
  const answers = requests();
  await sleep(400);
  const signalled = Date.now();
  service.signal('SIGTERM');
  await sleep(300);
  await lock.release();
  const results = await answers;
  const exit = await service.exit;
  expect({ exit: { code: exit.code, signal: exit.signal }, log: exit.code === 0 ? '' : service.tail() }).toEqual({
    exit: { code: 0, signal: null },
    log: '',
  });
  expect(exit.at - signalled).toBeLessThan(TIMEOUTS.SHUTDOWN_TIMEOUT_MS);
  expect(results.filter((r) => r.status !== 200 || r.body.errors)).toEqual([]);
  return results;
}

describe('SIGTERM under load', () => {
  it('the standalone relay exits 0 mid-stream and a second relay publishes every remaining event', async () => {
    const load = orderLoad(stack.order.graphqlUrl, 4);
    await sleep(1000);
    const signalled = Date.now();
    stack.relay.signal('SIGTERM');
    const exit = await stack.relay.exit;
    await sleep(300);
    const outcomes = await load.stop();
    expect({ code: exit.code, signal: exit.signal, log: exit.code === 0 ? '' : stack.relay.tail() }).toEqual({
      code: 0,
      signal: null,
      log: '',
    });
    expect(exit.at - signalled).toBeLessThan(TIMEOUTS.SHUTDOWN_TIMEOUT_MS);
    expect(outcomes.filter((o) => o.kind !== 'ok')).toEqual([]);

    // Orders placed after the relay left wait in the outbox; a new relay publishes them all.
    const second = await stack.respawn('relay');
    await second.waitFor('/ready');
    const created = await db.order
      .selectFrom('orders.outbox_event')
      .select('id')
      .where(
        'aggregate_id',
        'in',
        outcomes.map((o) => o.orderId!),
      )
      .execute();
    expect(created).toHaveLength(outcomes.length);
    await waitFor(
      'every outbox event to be published and seen on the exchange',
      async () => {
        const unpublished = await db.order
          .selectFrom('orders.outbox_event')
          .select('id')
          .where('published_at', 'is', null)
          .execute();
        const seen = new Set(tap.messages.map((m) => m.properties.messageId as string));
        return unpublished.length === 0 && created.every((e) => seen.has(e.id));
      },
      30_000,
      200,
    );
  }, 60_000);

  it('the gateway answers its in-flight requests and exits 0', async () => {
    await expectCleanShutdown(stack.gateway, lockProduct, () => ordersInFlight(stack.gateway.graphqlUrl));
  }, 30_000);

  it('the order subgraph answers its in-flight orders, loses no outbox row or reservation call, and exits 0', async () => {
    const results = await expectCleanShutdown(stack.order, lockProduct, () => ordersInFlight(stack.order.graphqlUrl));
    const orderIds = results.map((r) => r.body.data.placeOrder.order.id as string);
    const events = await db.order
      .selectFrom('orders.outbox_event')
      .select('id')
      .where('aggregate_id', 'in', orderIds)
      .execute();
    expect(events).toHaveLength(10);
    await waitFor('the relay to publish them', () => {
      const seen = new Set(tap.messages.map((m) => m.properties.messageId as string));
      return events.every((e) => seen.has(e.id));
    });
    // A replacement (as an orchestrator starts one) delivers whatever confirmation the stopped one left.
    const replacement = await stack.respawn('order');
    await replacement.waitFor('/ready');
    await expectNoPartialOrders();
  }, 90_000);

  it('the customer subgraph answers its in-flight queries, stops its consumers and exits 0', async () => {
    await expectCleanShutdown(
      stack.customer,
      () => lockTable('customer.customer'),
      () => inFlight(10, (i) => gqlPost(stack.customer.graphqlUrl, `{ me { id } }`, {}, customers[i % 8]!.headers)),
    );
  }, 30_000);

  it('with the token issuer down, a token with an unknown key gets SERVICE_UNAVAILABLE (503) and known keys still verify', async () => {
    expect(stack.customer.exited).toBeDefined();
    const stranger = generateSigningKey('k-rotated-in-meanwhile');
    const unknown = signAccessToken(
      { customerId: customers[0]!.id, role: 'CUSTOMER' },
      stranger,
      defaultTokenSettings,
      300,
    ).token;
    const query = `{ products(first: 1) { edges { node { id } } } }`;
    const refused = await gqlPost(stack.inventory.graphqlUrl, query, {}, { authorization: `Bearer ${unknown}` });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'SERVICE_UNAVAILABLE',
    );
    const known = await gqlPost(stack.inventory.graphqlUrl, query, {}, customers[1]!.headers);
    expect(known.status).toBe(200);
  });

  it('the inventory subgraph answers its in-flight queries and exits 0', async () => {
    await expectCleanShutdown(
      stack.inventory,
      () => lockTable('inventory.product'),
      () =>
        inFlight(10, () => gqlPost(stack.inventory.graphqlUrl, `{ products(first: 5) { edges { node { id } } } }`, {})),
    );
  }, 30_000);

  it('a second SIGTERM, or the shutdown bound passing, forces the exit', async () => {
    const patient = await stack.respawn('inventory', { SHUTDOWN_TIMEOUT_MS: '60000' });
    const hasty = await stack.respawn('inventory', { SHUTDOWN_TIMEOUT_MS: '1500' });
    await Promise.all([patient.waitFor('/ready'), hasty.waitFor('/ready')]);
    const lock = await lockTable('inventory.product');
    try {
      const query = `{ products(first: 1) { edges { node { id } } } }`;
      const pending = [patient, hasty].map((p) => gqlPost(p.graphqlUrl, query, {}).catch(() => undefined));
      await sleep(300);
      const signalled = Date.now();
      patient.signal('SIGTERM');
      hasty.signal('SIGTERM');
      await sleep(200);
      patient.signal('SIGTERM');
      const [forced, bounded] = await Promise.all([patient.exit, hasty.exit]);
      expect(forced.code).toBe(1);
      expect(forced.at - signalled).toBeLessThan(1200);
      expect(bounded.code).toBe(1);
      expect(bounded.at - signalled).toBeGreaterThanOrEqual(1400);
      expect(bounded.at - signalled).toBeLessThan(1500 + 1000);
      await Promise.all(pending);
    } finally {
      await lock.release();
    }
  }, 30_000);
});
