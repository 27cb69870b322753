import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { NOTIFICATIONS_CONSUMER, ORDER_STATS_CONSUMER } from '@shopgraph/customer';
import { expireDueReservations, startInventory, type InventoryDatabase } from '@shopgraph/inventory';
import {
  createAuthenticator,
  createDatabase,
  defaultTokenSettings,
  sqlState,
  staticKeys,
  toJwks,
  type RunningService,
} from '@shopgraph/lib';
import {
  connectNeighbours,
  startOrder,
  STOCK_LOST_REASON,
  SYSTEM_VIEWER,
  type Neighbours,
  type OrderDatabase,
} from '@shopgraph/order';
import { buildSchema } from 'graphql';
import { sql, type Kysely } from 'kysely';
import type { RunningSupergraph } from '../scripts/supergraph.js';
import { bearer, testAuth, tokenFor } from './support/auth.js';
import { createTestDatabases, withPgClient } from './support/database.js';
import { deleteTopology, TEST_AMQP_URL, uniqueExchange, waitFor } from './support/events.js';
import type { FixtureDbs } from './support/fixtures.js';
import { gql } from './support/graphql.js';
import { HttpProxy } from './support/http-proxy.js';
import { Shop } from './support/shop.js';
import { startTestStack, type TestStack } from './support/stack.js';

// Placing orders across services (docs/adr/0014): the three subgraphs on
// three databases, each as its own role, events through the real RabbitMQ,
// and the failures a production system meets between the services.

const root = fileURLToPath(new URL('..', import.meta.url));
const auth = testAuth();
const secret = randomBytes(32).toString('base64url');
const exchange = uniqueExchange('placement');
const MAX_ATTEMPTS = 3;
let stack: TestStack;
let databases: TestStack['databases'];
let dbs: FixtureDbs;
let supergraph: RunningSupergraph;
let shop: Shop;

beforeAll(async () => {
  stack = await startTestStack({
    amqpUrl: TEST_AMQP_URL,
    events: { exchange, maxAttempts: MAX_ATTEMPTS, retryBaseDelayMs: 100, pollIntervalMs: 200 },
    auth,
    serviceAuthSecret: secret,
  });
  ({ databases, dbs, supergraph } = stack);
  await waitFor('the broker connection', () => supergraph.events.isConnected());
  shop = new Shop(supergraph.gateway.graphqlUrl, auth);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await deleteTopology(exchange, [ORDER_STATS_CONSUMER, NOTIFICATIONS_CONSUMER], MAX_ATTEMPTS);
});

const PLACE = `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) {
  order { id status } userErrors { field code available } } }`;
const ADDRESS = { name: 'Home', line1: '1 High St', city: 'Bath', postalCode: 'BA1 1AA', countryCode: 'GB' };
const place = (
  url: string,
  headers: Record<string, string>,
  lines: { productId: string; quantity: number }[],
  extra: object = {},
) => gql(url, PLACE, { input: { lines, idempotencyKey: randomUUID(), ...extra } }, headers);

const stockOf = async (productId: string) =>
  (
    await dbs.inventory
      .selectFrom('inventory.product')
      .select('stock')
      .where('id', '=', productId)
      .executeTakeFirstOrThrow()
  ).stock;
const ledgerOf = (productId: string) =>
  dbs.inventory
    .selectFrom('inventory.stock_ledger')
    .select(['reason', 'delta', 'reference'])
    .where('product_id', '=', productId)
    .orderBy('id')
    .execute();
const reservationOf = (orderId: string) =>
  dbs.inventory.selectFrom('inventory.reservation').selectAll().where('order_id', '=', orderId).executeTakeFirst();
const ordersOf = (customerId: string) =>
  dbs.order.selectFrom('orders.order').selectAll().where('customer_id', '=', customerId).execute();
const count = async (db: Kysely<any>, table: string, column: string, value: string) => {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from ${sql.table(table)} where ${sql.ref(column)} = ${value}`.execute(db);
  return rows[0]!.n;
};

/** A product's stock ledger must sum to its stock: the invariant every test below ends with. */
async function expectLedgerConsistent(productId: string) {
  const ledger = await ledgerOf(productId);
  expect(ledger.reduce((sum, row) => sum + row.delta, 0)).toBe(await stockOf(productId));
}

describe('under concurrency', () => {
  it('sells exactly the 50 units to 200 concurrent single-unit orders, with a ledger that adds up', async () => {
    const product = await shop.product({ stock: 50 });
    const buyers = await Promise.all(Array.from({ length: 20 }, () => shop.customer()));

    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        place(supergraph.gateway.graphqlUrl, buyers[i % 20]!.headers, [{ productId: product, quantity: 1 }]),
      ),
    );

    expect(results.filter((r) => r.errors)).toEqual([]);
    const placed = results.filter((r) => r.data.placeOrder.order);
    const refused = results.filter((r) => r.data.placeOrder.userErrors.length > 0);
    expect(placed).toHaveLength(50);
    expect(refused).toHaveLength(150);
    for (const r of refused) {
      expect(r.data.placeOrder.userErrors).toEqual([
        { field: ['input', 'lines', '0', 'quantity'], code: 'INSUFFICIENT_STOCK', available: 0 },
      ]);
    }
    expect(await stockOf(product)).toBe(0);
    const ledger = await ledgerOf(product);
    expect(ledger.filter((r) => r.reason === 'ORDER_RESERVED')).toHaveLength(50);
    expect(ledger.filter((r) => r.reason === 'ORDER_CONFIRMED')).toHaveLength(50);
    expect(ledger.filter((r) => !['INITIAL', 'ORDER_RESERVED', 'ORDER_CONFIRMED'].includes(r.reason))).toEqual([]);
    await expectLedgerConsistent(product);
    // Every placed order has its own confirmed reservation; no refused request left one, no call is pending.
    const orderIds = placed.map((r) => r.data.placeOrder.order.id as string);
    const reservations = await dbs.inventory
      .selectFrom('inventory.reservation')
      .select(['order_id', 'status'])
      .where('order_id', 'in', orderIds)
      .execute();
    expect(reservations).toHaveLength(50);
    expect(reservations.every((r) => r.status === 'CONFIRMED')).toBe(true);
    const allForProduct = await dbs.inventory
      .selectFrom('inventory.reservation_line')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('product_id', '=', product)
      .executeTakeFirstOrThrow();
    expect(Number(allForProduct.n)).toBe(50);
    expect(await dbs.order.selectFrom('orders.reservation_call').selectAll().execute()).toEqual([]);
  });

  it('runs 100 three-line orders with their lines in opposite orders without a single error', async () => {
    const products = await Promise.all([1, 2, 3].map(() => shop.product({ stock: 1000 })));
    const buyers = await Promise.all(Array.from({ length: 10 }, () => shop.customer()));
    const orders = [products, [...products].reverse()];

    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        place(
          supergraph.gateway.graphqlUrl,
          buyers[i % 10]!.headers,
          orders[i % 2]!.map((productId) => ({ productId, quantity: 1 })),
        ),
      ),
    );

    expect(results.filter((r) => r.errors)).toEqual([]);
    expect(results.filter((r) => r.data.placeOrder.userErrors.length > 0)).toEqual([]);
    for (const p of products) {
      expect(await stockOf(p)).toBe(900);
      await expectLedgerConsistent(p);
    }
  });

  it('turns ten identical requests with one idempotency key into one order and one reservation', async () => {
    const product = await shop.product({ stock: 100 });
    const buyer = await shop.customer();
    const input = { lines: [{ productId: product, quantity: 2 }], idempotencyKey: `burst-${randomUUID()}` };

    const results = await Promise.all(
      Array.from({ length: 10 }, () => gql(supergraph.gateway.graphqlUrl, PLACE, { input }, buyer.headers)),
    );

    expect(results.filter((r) => r.errors)).toEqual([]);
    expect(new Set(results.map((r) => r.data.placeOrder.order.id)).size).toBe(1);
    expect(await ordersOf(buyer.id)).toHaveLength(1);
    expect(await count(dbs.inventory, 'inventory.reservation', 'actor', buyer.id)).toBe(1);
    expect(await stockOf(product)).toBe(98);
    expect(await count(dbs.order, 'orders.outbox_event', 'aggregate_id', results[0]!.data.placeOrder.order.id)).toBe(1);
  });
});

describe('confirm and release are applied once, however often they arrive', () => {
  let neighbours: Neighbours;
  beforeAll(() => {
    neighbours = supergraph.orderNeighbours;
  });

  /** Makes a delivered call due again, as if its answer had been lost: the dispatcher delivers it once more. */
  const redeliver = (orderId: string, action: 'CONFIRM' | 'RELEASE', actor: string) =>
    dbs.order
      .insertInto('orders.reservation_call')
      .values({ order_id: orderId, action, actor, last_error: 'answer lost', parked_at: null })
      .execute();
  const callsOf = (orderId: string) =>
    dbs.order.selectFrom('orders.reservation_call').selectAll().where('order_id', '=', orderId).execute();

  it('confirms a placed order once, with the confirmation redelivered by the dispatcher and sent again at once', async () => {
    const [a, b] = await Promise.all([shop.product({ stock: 10 }), shop.product({ stock: 10 })]);
    const buyer = await shop.customer();
    const res = await place(supergraph.gateway.graphqlUrl, buyer.headers, [
      { productId: a!, quantity: 2 },
      { productId: b!, quantity: 1 },
    ]);
    const orderId = res.data.placeOrder.order.id as string;

    await Promise.all(Array.from({ length: 5 }, () => neighbours.inventory.confirm(orderId, buyer.id)));
    await redeliver(orderId, 'CONFIRM', buyer.id);
    await waitFor('the dispatcher to deliver the redelivered call', async () => (await callsOf(orderId)).length === 0);

    for (const p of [a!, b!]) {
      expect((await ledgerOf(p)).map((r) => r.reason)).toEqual(['INITIAL', 'ORDER_RESERVED', 'ORDER_CONFIRMED']);
    }
    expect([await stockOf(a!), await stockOf(b!)]).toEqual([8, 9]);
    expect((await reservationOf(orderId))?.status).toBe('CONFIRMED');
  });

  it('returns a cancelled order’s stock once, with the release redelivered and cancellations racing', async () => {
    const product = await shop.product({ stock: 10 });
    const buyer = await shop.customer();
    const res = await place(supergraph.gateway.graphqlUrl, buyer.headers, [{ productId: product, quantity: 4 }]);
    const orderId = res.data.placeOrder.order.id as string;
    expect(await stockOf(product)).toBe(6);

    const CANCEL = `mutation ($id: ID!) { cancelOrder(id: $id) { order { status } userErrors { code } } }`;
    const cancels = await Promise.all(
      Array.from({ length: 5 }, () => gql(supergraph.gateway.graphqlUrl, CANCEL, { id: orderId }, buyer.headers)),
    );
    expect(cancels.filter((c) => c.data.cancelOrder.order?.status === 'CANCELLED')).toHaveLength(1);
    await Promise.all(Array.from({ length: 5 }, () => neighbours.inventory.release(orderId, buyer.id)));
    await redeliver(orderId, 'RELEASE', buyer.id);
    await waitFor(
      'the dispatcher to deliver the redelivered release',
      async () => (await callsOf(orderId)).length === 0,
    );

    expect(await stockOf(product)).toBe(10);
    expect((await ledgerOf(product)).map((r) => [r.reason, r.delta])).toEqual([
      ['INITIAL', 10],
      ['ORDER_RESERVED', -4],
      ['ORDER_CONFIRMED', 0],
      ['ORDER_RELEASED', 4],
    ]);
    // A confirmation arriving after the cancellation cannot take the stock again.
    const late = await neighbours.inventory.confirm(orderId, buyer.id);
    expect(!late.ok && late.userErrors[0]?.code).toBe('RESERVATION_RELEASED');
    expect(await stockOf(product)).toBe(10);
  });
});

describe('when a neighbour fails', () => {
  let inventoryProxy: HttpProxy;
  let customerProxy: HttpProxy;
  let orderDb: Kysely<OrderDatabase>;
  let order: RunningService;

  // A second order service on the same order database, reaching inventory and
  // customer through proxies the tests control, with a short call timeout.
  beforeAll(async () => {
    inventoryProxy = await HttpProxy.start(supergraph.subgraphs.inventory.url);
    customerProxy = await HttpProxy.start(supergraph.subgraphs.customer.url);
    orderDb = createDatabase<OrderDatabase>({ databaseUrl: databases.urls.order, poolSize: 4 });
    order = await startOrder({
      db: orderDb,
      port: 0,
      host: '127.0.0.1',
      sandbox: false,
      auth: createAuthenticator({ settings: defaultTokenSettings, keys: staticKeys([auth.signingKey]) }),
      neighbours: connectNeighbours({
        inventoryUrl: inventoryProxy.url,
        customerUrl: customerProxy.url,
        serviceAuth: { service: 'order', secrets: [secret] },
        timeoutMs: 500,
      }),
      serviceCallTimeoutMs: 500,
      reservationCalls: { pollIntervalMs: 100 },
    });
  });

  afterAll(async () => {
    await order?.stop();
    await orderDb?.destroy();
    await inventoryProxy?.close();
    await customerProxy?.close();
  });

  it.each([
    ['refuses connections', 'reset'],
    ['accepts but never answers', 'hang'],
  ] as const)(
    'fails placeOrder fast with SERVICE_UNAVAILABLE and writes nothing when inventory %s',
    async (_how, rule) => {
      const product = await shop.product({ stock: 5 });
      const buyer = await shop.customer();
      inventoryProxy.rule = () => rule;
      try {
        const started = Date.now();
        const res = await place(order.graphqlUrl, buyer.headers, [{ productId: product, quantity: 1 }], {
          shippingAddress: ADDRESS,
        });
        const elapsed = Date.now() - started;

        expect(res.data?.placeOrder ?? null).toBeNull();
        expect(res.errors?.[0]).toMatchObject({
          message: 'Stock cannot be checked right now; nothing was ordered. Try again',
          extensions: { code: 'SERVICE_UNAVAILABLE' },
        });
        expect(elapsed).toBeLessThan(4_000); // the 500 ms call timeout: no hang
      } finally {
        inventoryProxy.rule = () => 'pass';
      }
      // Nothing anywhere: no order, key, event or call; no reservation, no stock moved.
      expect(await ordersOf(buyer.id)).toEqual([]);
      expect(await count(dbs.order, 'orders.idempotency_key', 'caller_id', buyer.id)).toBe(0);
      expect(await count(dbs.inventory, 'inventory.reservation', 'actor', buyer.id)).toBe(0);
      expect(await stockOf(product)).toBe(5);
      expect((await ledgerOf(product)).map((r) => r.reason)).toEqual(['INITIAL']);
      // And the same purchase works once inventory is back.
      const retry = await place(order.graphqlUrl, buyer.headers, [{ productId: product, quantity: 1 }], {
        shippingAddress: ADDRESS,
      });
      expect(retry.data.placeOrder.order.status).toBe('PENDING');
    },
  );

  it('needs the customer service only for the default address', async () => {
    const product = await shop.product({ stock: 5 });
    const buyer = await shop.customer();
    customerProxy.rule = () => 'reset';
    try {
      const byDefault = await place(order.graphqlUrl, buyer.headers, [{ productId: product, quantity: 1 }]);
      expect(byDefault.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(await ordersOf(buyer.id)).toEqual([]);
      const given = await place(order.graphqlUrl, buyer.headers, [{ productId: product, quantity: 1 }], {
        shippingAddress: ADDRESS,
      });
      expect(given.data.placeOrder.order.status).toBe('PENDING');
    } finally {
      customerProxy.rule = () => 'pass';
    }
    expect(await stockOf(product)).toBe(4);
  });

  /** Places an order while confirmations cannot reach inventory, then lets its reservation expire. */
  async function orderWithExpiredReservation(stock: number, quantity: number) {
    const product = await shop.product({ stock });
    const buyer = await shop.customer();
    inventoryProxy.rule = (req) => (req.url?.endsWith('/confirm') ? 'reset' : 'pass');
    const res = await place(order.graphqlUrl, buyer.headers, [{ productId: product, quantity }], {
      shippingAddress: ADDRESS,
    });
    const orderId = res.data.placeOrder.order.id as string;
    expect((await reservationOf(orderId))?.status).toBe('RESERVED');
    await dbs.inventory
      .updateTable('inventory.reservation')
      .set({ expires_at: sql<Date>`now() - interval '1 second'` })
      .where('order_id', '=', orderId)
      .execute();
    expect(await expireDueReservations(dbs.inventory)).toBeGreaterThanOrEqual(1);
    expect(await stockOf(product)).toBe(stock);
    return { product, buyer, orderId };
  }

  /** Lets the confirmation through and makes its call due now. */
  async function deliverConfirmation(orderId: string) {
    inventoryProxy.rule = () => 'pass';
    await dbs.order
      .updateTable('orders.reservation_call')
      .set({ next_attempt_at: sql<Date>`now()` })
      .where('order_id', '=', orderId)
      .execute();
  }

  it('confirms an order whose reservation expired while inventory was unreachable, if the units are still there', async () => {
    const { product, orderId } = await orderWithExpiredReservation(3, 2);

    await deliverConfirmation(orderId);
    await waitFor('the late confirmation', async () => (await reservationOf(orderId))?.status === 'CONFIRMED');

    expect((await ledgerOf(product)).map((r) => r.reason)).toEqual([
      'INITIAL',
      'ORDER_RESERVED',
      'ORDER_EXPIRED',
      'ORDER_RESERVED',
      'ORDER_CONFIRMED',
    ]);
    expect(await stockOf(product)).toBe(1);
    const [placed] = await dbs.order.selectFrom('orders.order').select('status').where('id', '=', orderId).execute();
    expect(placed?.status).toBe('PENDING');
  });

  it('cancels, and tells the customer about, an order whose expired reservation lost its units: never oversold', async () => {
    const { product, buyer, orderId } = await orderWithExpiredReservation(3, 2);
    // Meanwhile someone else buys two of the three units.
    const other = await shop.customer();
    const theirs = await place(supergraph.gateway.graphqlUrl, other.headers, [{ productId: product, quantity: 2 }]);
    expect(theirs.data.placeOrder.order.status).toBe('PENDING');

    await deliverConfirmation(orderId);
    await waitFor('the system to cancel the order', async () => {
      const [row] = await dbs.order.selectFrom('orders.order').select('status').where('id', '=', orderId).execute();
      return row?.status === 'CANCELLED';
    });
    await waitFor(
      'the reservation to be released for good',
      async () => (await reservationOf(orderId))?.status === 'RELEASED',
    );

    expect(await stockOf(product)).toBe(1);
    expect((await ledgerOf(product)).filter((r) => r.reference === orderId).map((r) => r.reason)).toEqual([
      'ORDER_RESERVED',
      'ORDER_EXPIRED',
    ]);
    await expectLedgerConsistent(product);
    const history = await dbs.order
      .selectFrom('orders.order_status_history')
      .select(['status', 'actor_id', 'note'])
      .where('order_id', '=', orderId)
      .orderBy('id')
      .execute();
    expect(history.at(-1)).toEqual({
      status: 'CANCELLED',
      actor_id: SYSTEM_VIEWER.customerId,
      note: STOCK_LOST_REASON,
    });
    // The cancellation travels as order.updated through RabbitMQ to the customer's notifications.
    await waitFor('the customer to be notified', async () =>
      (
        await dbs.customer.selectFrom('customer.notification').select('kind').where('order_id', '=', orderId).execute()
      ).some((n) => n.kind === 'ORDER_CANCELLED'),
    );
    expect(await ordersOf(buyer.id)).toEqual([expect.objectContaining({ id: orderId, status: 'CANCELLED' })]);
  });
});

describe('when the order process dies between the reservation and its commit', () => {
  let inventory: RunningService;
  let inventoryDb: Kysely<InventoryDatabase>;
  let proxy: HttpProxy;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    // An inventory replica with a short reservation time and a quick sweeper, behind a proxy.
    inventoryDb = createDatabase<InventoryDatabase>({ databaseUrl: databases.urls.inventory, poolSize: 2 });
    inventory = await startInventory({
      db: inventoryDb,
      port: 0,
      host: '127.0.0.1',
      sandbox: false,
      auth: createAuthenticator({ settings: defaultTokenSettings, keys: staticKeys([auth.signingKey]) }),
      serviceAuth: { service: 'inventory', secrets: [secret] },
      reservations: { ttlMs: 2_000, sweepIntervalMs: 200 },
    });
    proxy = await HttpProxy.start(inventory.url);
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    await proxy?.close();
    await inventory?.stop();
    await inventoryDb?.destroy();
  });

  const freePort = () =>
    new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });

  it('returns the stock when the reservation expires (kill -9 of a real order process), leaving nothing behind', async () => {
    const product = await shop.product({ stock: 7 });
    const buyer = await shop.customer();
    const port = await freePort();
    child = spawn(process.execPath, ['--import', 'tsx', 'subgraphs/order/src/main.ts'], {
      cwd: root,
      stdio: 'ignore',
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        PORT: String(port),
        HOST: '127.0.0.1',
        ORDER_DATABASE_URL: databases.urls.order,
        INVENTORY_SERVICE_URL: proxy.url,
        CUSTOMER_SERVICE_URL: supergraph.subgraphs.customer.url,
        SERVICE_AUTH_SECRET: secret,
        JWT_PUBLIC_KEYS: JSON.stringify(toJwks([auth.signingKey])),
        OUTBOX_RELAY: 'false',
      },
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child!.once('exit', (_code, signal) => resolve(signal)),
    );
    await waitFor(
      'the order process to serve',
      () =>
        fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.ok,
          () => false,
        ),
      30_000,
      200,
    );
    // The moment inventory has reserved, before the order process hears of it: kill -9.
    proxy.onAnswer = async (req, status) => {
      if (req.method === 'POST' && req.url === '/internal/v1/reservations' && status === 200) {
        child!.kill('SIGKILL');
        await exited;
      }
    };

    const attempt = await place(
      `http://127.0.0.1:${port}/graphql`,
      buyer.headers,
      [{ productId: product, quantity: 3 }],
      {
        shippingAddress: ADDRESS,
      },
    ).catch((error: unknown) => error);

    // The connection died with the process.
    expect(attempt).toMatchObject({ message: expect.stringMatching(/fetch failed/) });
    expect(await exited).toBe('SIGKILL');
    const [reservation] = await dbs.inventory
      .selectFrom('inventory.reservation')
      .selectAll()
      .where('actor', '=', buyer.id)
      .execute();
    expect(reservation?.status).toBe('RESERVED');
    expect(await stockOf(product)).toBe(4);

    await waitFor(
      'the reservation to expire',
      async () => (await reservationOf(reservation!.order_id))?.status === 'EXPIRED',
      15_000,
    );

    expect(await stockOf(product)).toBe(7);
    expect((await ledgerOf(product)).map((r) => [r.reason, r.delta, r.reference])).toEqual([
      ['INITIAL', 7, null],
      ['ORDER_RESERVED', -3, reservation!.order_id],
      ['ORDER_EXPIRED', 3, reservation!.order_id],
    ]);
    // Nothing of the order exists; its key holds no order (its lease lapses, then a retry takes it).
    expect(await ordersOf(buyer.id)).toEqual([]);
    expect(await count(dbs.order, 'orders.outbox_event', 'aggregate_id', reservation!.order_id)).toBe(0);
    const keys = await dbs.order
      .selectFrom('orders.idempotency_key')
      .select('order_id')
      .where('caller_id', '=', buyer.id)
      .execute();
    expect(keys.every((k) => k.order_id === null)).toBe(true);
  });
});

describe('each subgraph’s role', () => {
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => 'allowed',
      (error: unknown) => sqlState(error),
    );

  it('cannot connect to another subgraph’s database', async () => {
    const intoInventory = new URL(databases.urls.order);
    intoInventory.pathname = new URL(databases.urls.inventory).pathname;
    expect(await refusal(withPgClient(intoInventory.toString(), (c) => c.query('select 1')))).toBe('42501');
  });

  it('cannot read or write another subgraph’s tables in a shared database, and can write its own', async () => {
    const shared = await createTestDatabases({ shared: true });
    try {
      await withPgClient(shared.urls.order, async (asOrder) => {
        expect(
          await refusal(asOrder.query(`insert into inventory.product (sku, name, price_minor) values ('X', 'x', 1)`)),
        ).toBe('42501');
        expect(await refusal(asOrder.query(`update inventory.product set stock = 0`))).toBe('42501');
        expect(await refusal(asOrder.query(`select * from inventory.stock_ledger`))).toBe('42501');
        expect(await refusal(asOrder.query(`select * from customer.address`))).toBe('42501');
        expect(await refusal(asOrder.query(`create table public.sneaky (id int)`))).toBe('42501');
        expect(
          await refusal(
            asOrder.query(`insert into orders.order_status_history (order_id, status, actor_id)
              values (gen_random_uuid(), 'PENDING', gen_random_uuid())`),
          ),
        ).toBe('23503'); // its own table: allowed, and only the foreign key objects
      });
      await withPgClient(shared.urls.inventory, async (asInventory) => {
        const inserted = await asInventory.query(
          `insert into inventory.product (sku, name, price_minor) values ('OWN-1', 'Own', 1) returning id`,
        );
        expect(inserted.rowCount).toBe(1);
      });
    } finally {
      await shared.drop();
    }
  });
});

describe('the reservation API is for services only', () => {
  it('refuses a customer’s token, even an admin’s, and is not part of the supergraph', async () => {
    for (const role of ['CUSTOMER', 'ADMIN'] as const) {
      const token = tokenFor(auth, { customerId: randomUUID(), role });
      const res = await fetch(`${supergraph.subgraphs.inventory.url}/internal/v1/reservations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(token) },
        body: JSON.stringify({ orderId: randomUUID(), actor: 'x', lines: [] }),
      });
      expect(res.status).toBe(401);
    }
    const viaGateway = await fetch(supergraph.gateway.url + '/internal/v1/reservations', { method: 'POST' });
    expect(viaGateway.status).toBe(404);
    // The published client API has no operation of it.
    const api = buildSchema(readFileSync(join(root, 'schema/api.graphql'), 'utf8'));
    const operations = [api.getQueryType(), api.getMutationType()].flatMap((t) => Object.keys(t?.getFields() ?? {}));
    expect(operations.length).toBeGreaterThan(10);
    expect(operations.filter((name) => /reserv|confirm|release/i.test(name))).toEqual([]);
  });
});
