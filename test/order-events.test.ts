import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { consumerQueues } from '@shopgraph/lib';
import { decodeOrderEvent, NOTIFICATIONS_CONSUMER, ORDER_STATS_CONSUMER } from '@shopgraph/customer';
import { connect } from 'amqplib';
import { startSupergraph, type RunningSupergraph } from '../scripts/supergraph.js';
import { bearer, testAuth, tokenFor } from './support/auth.js';
import { createTestDatabases, type TestDatabases } from './support/database.js';
import {
  changeOrderStatusWithEvent,
  deleteTopology,
  placeOrderWithEvent,
  tapExchange,
  TEST_AMQP_URL,
  uniqueExchange,
  waitFor,
} from './support/events.js';
import {
  closeFixtureDbs,
  insertCustomers,
  insertProducts,
  openFixtureDbs,
  type FixtureDbs,
} from './support/fixtures.js';
import { gql } from './support/graphql.js';

// The whole supergraph on real Postgres and the real RabbitMQ: the order
// subgraph's relay publishes, the customer subgraph's consumers consume.
const auth = testAuth();
const exchange = uniqueExchange('events');
const MAX_ATTEMPTS = 3;
let databases: TestDatabases;
let supergraph: RunningSupergraph;
let dbs: FixtureDbs;
let tap: Awaited<ReturnType<typeof tapExchange>>;

let customers: Awaited<ReturnType<typeof insertCustomers>>;
let products: Awaited<ReturnType<typeof insertProducts>>;
const written: { orderId: string; customerId: string; eventId: string; type: string; version: number }[] = [];
const placed: Record<string, { orderId: string; total: number }[]> = {};

beforeAll(async () => {
  databases = await createTestDatabases();
  dbs = openFixtureDbs(databases.urls);
  tap = await tapExchange(exchange);
  supergraph = await startSupergraph({
    databaseUrls: databases.urls,
    amqpUrl: TEST_AMQP_URL,
    events: { exchange, maxAttempts: MAX_ATTEMPTS, retryBaseDelayMs: 100, pollIntervalMs: 200 },
    port: 0,
    host: '127.0.0.1',
    sandbox: false,
    auth,
  });
  await waitFor('the broker connection', () => supergraph.events.isConnected());
  customers = await insertCustomers(dbs.customer, 3);
  products = await insertProducts(dbs.inventory, 3, 'P', 1_000_000);

  const [c0, c1] = customers.map((c) => c.id) as [string, string];
  const [p0, p1, p2] = products.map((p) => ({ productId: p.id, unitPriceMinor: p.price_minor })) as [
    { productId: string; unitPriceMinor: number },
    { productId: string; unitPriceMinor: number },
    { productId: string; unitPriceMinor: number },
  ];
  const record = (customerId: string, e: { id: string; type: string; aggregateId: string; aggregateVersion: number }) =>
    written.push({ orderId: e.aggregateId, customerId, eventId: e.id, type: e.type, version: e.aggregateVersion });
  const place = async (
    customerId: string,
    lines: { productId: string; unitPriceMinor: number; quantity: number }[],
  ) => {
    const { orderId, event } = await placeOrderWithEvent(dbs.order, supergraph.orderNeighbours, customerId, lines);
    record(customerId, event);
    (placed[customerId] ??= []).push({ orderId, total: lines.reduce((s, l) => s + l.quantity * l.unitPriceMinor, 0) });
    return orderId;
  };
  const change = async (
    customerId: string,
    ...args: Parameters<typeof changeOrderStatusWithEvent> extends [unknown, unknown, ...infer R] ? R : never
  ) => record(customerId, await changeOrderStatusWithEvent(dbs.order, supergraph.orderNeighbours, ...args));

  // Customer 0: one order through its whole life, one cancelled.
  const o1 = await place(c0, [
    { ...p0, quantity: 2 },
    { ...p1, quantity: 1 },
  ]);
  const o2 = await place(c0, [{ ...p2, quantity: 3 }]);
  // Customer 1: one paid, one pending.
  const o3 = await place(c1, [{ ...p1, quantity: 1 }]);
  await place(c1, [{ ...p2, quantity: 1 }]);
  await change(c0, o1, 'PAID');
  await change(c1, o3, 'PAID');
  await change(c0, o2, 'CANCELLED', { reason: 'changed my mind' });
  await change(c0, o1, 'SHIPPED', { tracking: { carrier: 'DHL', trackingNumber: 'JD0001' } });
  await change(c0, o1, 'DELIVERED');

  // Both consumers have applied all 9 events.
  await waitFor('both consumers to apply every event', async () => {
    const { n } = await dbs.customer
      .selectFrom('customer.event_inbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(n) === 2 * written.length;
  });
}, 60_000);

afterAll(async () => {
  await supergraph?.stop();
  await tap?.close();
  await deleteTopology(exchange, [ORDER_STATS_CONSUMER, NOTIFICATIONS_CONSUMER], MAX_ATTEMPTS);
  await closeFixtureDbs(dbs);
  await databases?.drop();
});

describe('order events through RabbitMQ', () => {
  it('publishes every outbox event once, persistent, with the event id as message id, valid against the schema', async () => {
    await waitFor('the tap to see every event', () => tap.messages.length >= written.length);
    expect(tap.messages).toHaveLength(written.length);
    const received = tap.messages.map((m) => {
      const event = decodeOrderEvent(m.content);
      expect(m.properties.messageId).toBe(event.id);
      expect(m.properties.deliveryMode).toBe(2);
      expect(m.properties.contentType).toBe('application/json');
      expect(m.fields.routingKey).toBe(event.type);
      return event.id;
    });
    expect(received.sort()).toEqual(written.map((w) => w.eventId).sort());

    const outbox = await dbs.order.selectFrom('orders.outbox_event').select(['published_at', 'attempts']).execute();
    expect(outbox).toHaveLength(written.length);
    expect(outbox.every((row) => row.published_at !== null && row.attempts === 0)).toBe(true);
  });

  it('has each consumer apply each event once, in per-order order', async () => {
    for (const consumer of [ORDER_STATS_CONSUMER, NOTIFICATIONS_CONSUMER]) {
      const inbox = await dbs.customer
        .selectFrom('customer.event_inbox')
        .select(['event_id', 'aggregate_id', 'aggregate_version'])
        .where('consumer', '=', consumer)
        .orderBy('seq')
        .execute();
      expect(inbox.map((r) => r.event_id).sort()).toEqual(written.map((w) => w.eventId).sort());
      const byOrder = new Map<string, number[]>();
      for (const row of inbox)
        byOrder.set(row.aggregate_id, [...(byOrder.get(row.aggregate_id) ?? []), row.aggregate_version]);
      for (const [orderId, versions] of byOrder) {
        const expected = written.filter((w) => w.orderId === orderId).map((w) => w.version);
        expect(versions).toEqual(expected);
      }
    }
    // Nothing was dead-lettered.
    const connection = await connect(TEST_AMQP_URL);
    const channel = await connection.createChannel();
    for (const consumer of [ORDER_STATS_CONSUMER, NOTIFICATIONS_CONSUMER]) {
      expect((await channel.checkQueue(consumerQueues(exchange, consumer, MAX_ATTEMPTS).dlq)).messageCount).toBe(0);
    }
    await connection.close();
  });

  it('keeps per-customer order statistics: cancelled orders subtracted', async () => {
    const stats = await dbs.customer.selectFrom('customer.order_stats').selectAll().execute();
    const [c0, c1, c2] = customers.map((c) => c.id) as [string, string, string];
    const o1 = placed[c0]![0]!;
    expect(stats.find((s) => s.customer_id === c0)).toMatchObject({
      order_count: 1,
      total_spent_minor: o1.total,
      currency: 'USD',
    });
    expect(stats.find((s) => s.customer_id === c1)).toMatchObject({
      order_count: 2,
      total_spent_minor: placed[c1]!.reduce((s, o) => s + o.total, 0),
    });
    expect(stats.find((s) => s.customer_id === c2)).toBeUndefined();
  });

  it('records one notification per event and serves them to the customer as me { notifications }', async () => {
    const c0 = customers[0]!;
    const token = bearer(tokenFor(auth, { customerId: c0.id, role: 'CUSTOMER' }));
    const res = await gql(
      supergraph.gateway.graphqlUrl,
      `{ me {
          id orderCount lastOrderAt totalSpent { amount currencyCode }
          notifications(first: 4) {
            edges { node { kind title message tracking { carrier trackingNumber } order { id status } occurredAt } }
            pageInfo { hasNextPage endCursor }
          }
        } }`,
      {},
      token,
    );
    expect(res.errors).toBeUndefined();
    const me = res.data.me;
    const [o1, o2] = placed[c0.id]!;
    expect(me.orderCount).toBe(1);
    expect(me.totalSpent).toEqual([{ amount: (o1!.total / 100).toFixed(2), currencyCode: 'USD' }]);
    const placedAt = await dbs.order
      .selectFrom('orders.order')
      .select('placed_at')
      .where('id', '=', o2!.orderId)
      .executeTakeFirstOrThrow();
    expect(me.lastOrderAt).toBe(placedAt.placed_at.toISOString());

    // Six events for customer 0, newest first: delivered, shipped, cancelled, paid, then the two confirmations.
    const firstPage = me.notifications.edges.map((e: any) => e.node);
    expect(firstPage.map((n: any) => n.kind)).toEqual([
      'ORDER_DELIVERED',
      'ORDER_SHIPPED',
      'ORDER_CANCELLED',
      'PAYMENT_RECEIVED',
    ]);
    expect(firstPage[1]).toMatchObject({
      title: 'Your order has shipped',
      tracking: { carrier: 'DHL', trackingNumber: 'JD0001' },
      order: { id: o1!.orderId, status: 'DELIVERED' },
    });
    expect(firstPage[2].message).toMatch(/changed my mind/);
    expect(me.notifications.pageInfo.hasNextPage).toBe(true);

    const next = await gql(
      supergraph.gateway.graphqlUrl,
      `query ($after: String) { me { notifications(first: 4, after: $after) { edges { node { kind order { id } } } pageInfo { hasNextPage } } } }`,
      { after: me.notifications.pageInfo.endCursor },
      token,
    );
    expect(next.errors).toBeUndefined();
    expect(next.data.me.notifications.edges.map((e: any) => e.node.kind)).toEqual([
      'ORDER_CONFIRMED',
      'ORDER_CONFIRMED',
    ]);
    expect(next.data.me.notifications.pageInfo.hasNextPage).toBe(false);

    // Exactly one notification per event, none for anyone else's.
    const rows = await dbs.customer.selectFrom('customer.notification').select(['event_id', 'customer_id']).execute();
    expect(rows.map((r) => r.event_id).sort()).toEqual(written.map((w) => w.eventId).sort());
    for (const row of rows) expect(row.customer_id).toBe(written.find((w) => w.eventId === row.event_id)!.customerId);
  });

  it('shows statistics and notifications to an admin, and nothing of them to another customer', async () => {
    const [c0, c1] = customers as [(typeof customers)[0], (typeof customers)[0]];
    const query = `query ($id: ID!) { customer(id: $id) { orderCount totalSpent { amount } notifications { edges { node { kind } } } } }`;
    const asAdmin = await gql(
      supergraph.gateway.graphqlUrl,
      query,
      { id: c1.id },
      bearer(tokenFor(auth, { customerId: c0.id, role: 'ADMIN' })),
    );
    expect(asAdmin.errors).toBeUndefined();
    expect(asAdmin.data.customer.orderCount).toBe(2);
    expect(asAdmin.data.customer.notifications.edges).toHaveLength(3);

    const asOther = await gql(
      supergraph.gateway.graphqlUrl,
      query,
      { id: c1.id },
      bearer(tokenFor(auth, { customerId: c0.id, role: 'CUSTOMER' })),
    );
    expect(asOther.data?.customer ?? null).toBeNull();
    expect(asOther.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // Straight to the customer subgraph, someone else's Customer entity reveals nothing.
    const entities = await gql(
      supergraph.subgraphs.customer.graphqlUrl,
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { orderCount notifications { edges { node { id } } } } } }`,
      { r: [{ __typename: 'Customer', id: c1.id }] },
      bearer(tokenFor(auth, { customerId: c0.id, role: 'CUSTOMER' })),
    );
    expect(entities.data?._entities).toEqual([null]);
  });

  it('reports the broker in /ready of the order and customer subgraphs', async () => {
    for (const service of [supergraph.subgraphs.order, supergraph.subgraphs.customer]) {
      const ready = await fetch(`${service.url}/ready`);
      expect(ready.status).toBe(200);
    }
  });
});
