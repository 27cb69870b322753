import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createPasswordHasher } from '@shopgraph/customer';
import { InProcessTransport } from '@shopgraph/lib';
import { sql } from 'kysely';
import { DEMO_ACCOUNTS, DEMO_CUSTOMER_EMAIL, seedDemoData, type DemoDatabases } from '../scripts/seed.js';
import type { RunningSupergraph } from '../scripts/supergraph.js';
import { TEST_PASSWORD_COST } from './support/auth.js';
import { startEmbeddedStack, type EmbeddedStack } from './support/embedded.js';
import { placeOrderWithEvent, waitFor } from './support/events.js';
import { gql } from './support/graphql.js';

// The embedded default: one PGlite in this process (in memory here), a schema
// and a migration history per subgraph, no Postgres server; the subgraphs
// still call each other over HTTP.
let stack: EmbeddedStack;
let supergraph: RunningSupergraph;
let db: DemoDatabases;

beforeAll(async () => {
  stack = await startEmbeddedStack({ pollIntervalMs: 5_000 });
  ({ supergraph, db } = stack);
  expect(stack.seeded).toBe(true);
  // Seeding is once only.
  expect(await seedDemoData(db, supergraph.orderNeighbours, createPasswordHasher(TEST_PASSWORD_COST))).toBe(false);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const loginAda = async () => {
  const login = await gql(
    supergraph.gateway.graphqlUrl,
    `mutation ($email: String!, $password: String!) { login(input: { email: $email, password: $password }) { accessToken } }`,
    { email: DEMO_ACCOUNTS[0].email, password: DEMO_ACCOUNTS[0].password },
  );
  return { authorization: `Bearer ${login.data.login.accessToken}` };
};

it('logs in a demo account and serves its orders through the gateway on embedded PGlite', async () => {
  const login = await gql(
    supergraph.gateway.graphqlUrl,
    `mutation ($email: String!, $password: String!) { login(input: { email: $email, password: $password }) { accessToken userErrors { code } } }`,
    { email: DEMO_ACCOUNTS[0].email, password: DEMO_ACCOUNTS[0].password },
  );
  expect(login.data.login.userErrors).toEqual([]);
  const res = await gql(
    supergraph.gateway.graphqlUrl,
    `{ orders(first: 10) { edges { node { status customer { email } lines { product { sku inStock } } } } }
       products(first: 100) { edges { node { sku price { amount } } } } }`,
    {},
    { authorization: `Bearer ${login.data.login.accessToken}` },
  );
  expect(res.errors).toBeUndefined();
  const orders = res.data.orders.edges.map((e: any) => e.node);
  expect(orders).toHaveLength(3);
  expect(orders.every((o: any) => o.customer.email === DEMO_CUSTOMER_EMAIL)).toBe(true);
  expect(orders.map((o: any) => o.status).sort()).toEqual(['DELIVERED', 'PAID', 'PENDING']);
  const skus = res.data.products.edges.map((e: any) => e.node.sku);
  expect(skus).toHaveLength(12);
  expect(res.data.products.edges.find((e: any) => e.node.sku === 'MUG-001').node.price).toEqual({ amount: '14.50' });

  // Customer.orders' batched first page (a lateral join over an array of ids) runs on PGlite too.
  const mine = await gql(
    supergraph.gateway.graphqlUrl,
    `{ me { orders(first: 2) { edges { node { status } } pageInfo { hasNextPage } } } }`,
    {},
    { authorization: `Bearer ${login.data.login.accessToken}` },
  );
  expect(mine.data.me.orders).toEqual({
    edges: [{ node: { status: 'PENDING' } }, { node: { status: 'PAID' } }],
    pageInfo: { hasNextPage: true },
  });
});

it('seeds stock through the ledger and orders through reservations: every product’s ledger sums to its stock', async () => {
  const { rows } = await sql<{ sku: string; stock: number; ledger: number; reserved: number }>`
    select p.sku, p.stock, sum(l.delta)::int as ledger,
           coalesce(-sum(l.delta) filter (where l.reason = 'ORDER_RESERVED'), 0)::int as reserved
    from inventory.product p join inventory.stock_ledger l on l.product_id = p.id
    group by p.id order by p.sku`.execute(db.inventory);
  expect(rows.every((r) => r.ledger === r.stock)).toBe(true);
  // Every seeded order's reservation was confirmed at once.
  const reservations = await db.inventory.selectFrom('inventory.reservation').select('status').execute();
  expect(reservations.map((r) => r.status)).toEqual(['CONFIRMED', 'CONFIRMED', 'CONFIRMED']);
  expect(await db.order.selectFrom('orders.reservation_call').selectAll().execute()).toEqual([]);
  // Each subgraph keeps its own migration history in its own schema.
  for (const schema of ['customer', 'inventory', 'orders']) {
    const { rows: history } = await sql<{ n: number }>`
      select count(*)::int as n from ${sql.table(`${schema}.shopgraph_migration`)}`.execute(db.inventory);
    expect(history[0]!.n).toBeGreaterThan(0);
  }
  // The demo orders took their units: two mugs of the 120 seeded.
  expect(rows.find((r) => r.sku === 'MUG-001')).toEqual({ sku: 'MUG-001', stock: 118, ledger: 118, reserved: 2 });
  // SCK-001 is seeded with no stock, so it has no ledger rows at all.
  expect(rows).toHaveLength(11);
});

it('serves the Apollo Sandbox landing page outside production', async () => {
  const res = await fetch(supergraph.gateway.graphqlUrl, { headers: { accept: 'text/html' } });
  expect(res.status).toBe(200);
  expect(await res.text()).toMatch(/sandbox/i);
});

// Last: it places a fourth order for the demo customer.
it('delivers order events in-process: the seeded orders and a new one reach statistics and notifications', async () => {
  expect(supergraph.events).toBeInstanceOf(InProcessTransport);
  const headers = await loginAda();
  const me = async () =>
    (
      await gql(
        supergraph.gateway.graphqlUrl,
        `{ me { id orderCount totalSpent { amount currencyCode } notifications(first: 10) { edges { node { kind order { id } } } } } }`,
        {},
        headers,
      )
    ).data.me;
  // The three seeded orders (14.50 × 2 + 18.00, 25.00, 29.00 + 54.00).
  const seeded = await waitFor('the seeded orders to reach the customer subgraph', async () => {
    const data = await me();
    return data.orderCount === 3 ? data : undefined;
  });
  expect(seeded.totalSpent).toEqual([{ amount: '155.00', currencyCode: 'USD' }]);
  // Newest first: the seed places three orders and moves the first to DELIVERED and the second to PAID.
  expect(seeded.notifications.edges.map((e: any) => e.node.kind)).toEqual([
    'ORDER_CONFIRMED',
    'PAYMENT_RECEIVED',
    'ORDER_CONFIRMED',
    'ORDER_DELIVERED',
    'ORDER_SHIPPED',
    'PAYMENT_RECEIVED',
    'ORDER_CONFIRMED',
  ]);

  // A new order is woken up by NOTIFY (the relay's polling is set to 5 s here) and applied once.
  const product = await db.inventory
    .selectFrom('inventory.product')
    .selectAll()
    .where('sku', '=', 'LMP-001')
    .executeTakeFirstOrThrow();
  const started = Date.now();
  const { orderId } = await placeOrderWithEvent(db.order, supergraph.orderNeighbours, seeded.id, [
    { productId: product.id, quantity: 1, unitPriceMinor: product.price_minor },
  ]);
  const after = await waitFor('the new order to be applied', async () => {
    const data = await me();
    return data.orderCount === 4 ? data : undefined;
  });
  expect(Date.now() - started).toBeLessThan(4_000);
  expect(after.totalSpent).toEqual([{ amount: '204.00', currencyCode: 'USD' }]);
  expect(after.notifications.edges[0].node.order.id).toBe(orderId);
  expect((supergraph.events as InProcessTransport).deadLetters).toEqual([]);
});
