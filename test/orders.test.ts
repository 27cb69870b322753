import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql, type Kysely } from 'kysely';
import type { RunningSupergraph } from '../scripts/supergraph.js';
import { testAuth } from './support/auth.js';
import { startTestStack, type TestStack } from './support/stack.js';
import type { OrderDatabase } from '@shopgraph/order';
import type { FixtureDbs } from './support/fixtures.js';
import { gql } from './support/graphql.js';
import { Shop } from './support/shop.js';

const auth = testAuth();
let stack: TestStack;
let supergraph: RunningSupergraph;
let dbs: FixtureDbs;
let db: Kysely<OrderDatabase>;
let shop: Shop;

beforeAll(async () => {
  stack = await startTestStack({ auth });
  ({ dbs, supergraph } = stack);
  db = dbs.order;
  shop = new Shop(supergraph.gateway.graphqlUrl, auth);
});

afterAll(() => stack?.stop());

const url = () => supergraph.gateway.graphqlUrl;
const ORDER_FIELDS = `id status version total { amount currencyCode }
  lines { quantity unitPrice { amount } lineTotal { amount } product { id } }
  shippingAddress { city countryCode } tracking { carrier trackingNumber }
  statusHistory { status actorId note }`;
const PLACE = `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) {
  order { ${ORDER_FIELDS} } userErrors { field message code available currentStatus requestedStatus } } }`;
const TRANSITIONS = {
  PAID: `mutation ($id: ID!) { r: markOrderPaid(id: $id) { order { ${ORDER_FIELDS} } userErrors { code currentStatus requestedStatus message } } }`,
  SHIPPED: `mutation ($id: ID!) { r: shipOrder(id: $id, input: { carrier: "DHL", trackingNumber: "JD0001" }) { order { ${ORDER_FIELDS} } userErrors { code currentStatus requestedStatus message } } }`,
  DELIVERED: `mutation ($id: ID!) { r: markOrderDelivered(id: $id) { order { ${ORDER_FIELDS} } userErrors { code currentStatus requestedStatus message } } }`,
  CANCELLED: `mutation ($id: ID!) { r: cancelOrder(id: $id, reason: "changed my mind") { order { ${ORDER_FIELDS} } userErrors { code currentStatus requestedStatus message } } }`,
} as const;
type Status = keyof typeof TRANSITIONS | 'PENDING';

const place = (headers: Record<string, string>, lines: { productId: string; quantity: number }[], extra: object = {}) =>
  gql(url(), PLACE, { input: { lines, idempotencyKey: randomUUID(), ...extra } }, headers);

const count = async (table: 'orders.order' | 'orders.outbox_event' | 'orders.idempotency_key') =>
  Number((await db.selectFrom(table).select(db.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

const eventsFor = (orderId: string) =>
  db
    .selectFrom('orders.outbox_event')
    .select(['type', 'aggregate_version', 'data'])
    .where('aggregate_id', '=', orderId)
    .orderBy('aggregate_version')
    .execute();

async function placed(headers: Record<string, string>, lines: { productId: string; quantity: number }[]) {
  const res = await place(headers, lines);
  expect(res.errors).toBeUndefined();
  expect(res.data.placeOrder.userErrors).toEqual([]);
  return res.data.placeOrder.order;
}

async function moveTo(id: string, to: Status, headers = shop.admin) {
  const res = await gql(url(), TRANSITIONS[to as keyof typeof TRANSITIONS], { id }, headers);
  expect(res.errors).toBeUndefined();
  return res.data.r;
}

describe('placing an order', () => {
  it('reserves stock, snapshots prices and address, and writes order.created', async () => {
    const a = await shop.product({ stock: 10, price: '19.99' });
    const b = await shop.product({ stock: 5, price: '0.10' });
    const buyer = await shop.customer();
    const order = await placed(buyer.headers, [
      { productId: a, quantity: 3 },
      { productId: b, quantity: 1 },
    ]);
    expect(order).toMatchObject({
      status: 'PENDING',
      version: 1,
      total: { amount: '60.07', currencyCode: 'USD' }, // 3 × 19.99 + 0.10, exactly
      lines: [
        { quantity: 3, unitPrice: { amount: '19.99' }, lineTotal: { amount: '59.97' }, product: { id: a } },
        { quantity: 1, unitPrice: { amount: '0.10' }, lineTotal: { amount: '0.10' }, product: { id: b } },
      ],
      shippingAddress: { city: 'Bath', countryCode: 'GB' },
      tracking: null,
      statusHistory: [{ status: 'PENDING', actorId: buyer.id, note: null }],
    });
    expect(await shop.stock(a)).toBe(7);
    expect(await shop.stock(b)).toBe(4);

    const events = await eventsFor(order.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'order.created', aggregate_version: 1 });
    expect(events[0]!.data).toMatchObject({
      orderId: order.id,
      customerId: buyer.id,
      total: { amountMinor: 6007, currency: 'USD' },
      lines: [
        { productId: a, quantity: 3, unitPriceMinor: 1999 },
        { productId: b, quantity: 1, unitPriceMinor: 10 },
      ],
    });

    // A later price change does not touch the order's snapshot.
    const update = await gql(
      url(),
      `mutation ($input: UpdateProductInput!) { updateProduct(input: $input) { userErrors { code } } }`,
      { input: { id: a, price: '25.00' } },
      shop.admin,
    );
    expect(update.data.updateProduct.userErrors).toEqual([]);
    const again = await gql(
      url(),
      `query ($id: ID!) { order(id: $id) { total { amount } lines { unitPrice { amount } } } }`,
      { id: order.id },
      buyer.headers,
    );
    expect(again.data.order.total.amount).toBe('60.07');
    expect(again.data.order.lines[0].unitPrice.amount).toBe('19.99');
  });

  it('merges lines of the same product', async () => {
    const a = await shop.product({ stock: 10 });
    const buyer = await shop.customer();
    const order = await placed(buyer.headers, [
      { productId: a, quantity: 2 },
      { productId: a, quantity: 3 },
    ]);
    expect(order.lines).toEqual([expect.objectContaining({ quantity: 5 })]);
    expect(await shop.stock(a)).toBe(5);
  });

  it('uses the given address, or fails clearly without a default one', async () => {
    const a = await shop.product({ stock: 10 });
    const homeless = await shop.customer(false);
    const before = await count('orders.order');
    const none = await place(homeless.headers, [{ productId: a, quantity: 1 }]);
    expect(none.data.placeOrder.userErrors).toEqual([
      expect.objectContaining({ code: 'NO_SHIPPING_ADDRESS', field: ['input', 'shippingAddress'] }),
    ]);
    expect(await count('orders.order')).toBe(before);
    expect(await shop.stock(a)).toBe(10);

    const given = await place(homeless.headers, [{ productId: a, quantity: 1 }], {
      shippingAddress: { name: 'Work', line1: '2 Low Rd', city: 'Leeds', postalCode: 'LS2', countryCode: 'gb' },
    });
    expect(given.data.placeOrder.order.shippingAddress).toEqual({ city: 'Leeds', countryCode: 'GB' });
  });

  it('reports each failing line and writes nothing', async () => {
    const few = await shop.product({ stock: 2 });
    const archived = await shop.product({ stock: 5 });
    await gql(
      url(),
      `mutation ($id: ID!) { archiveProduct(id: $id) { userErrors { code } } }`,
      { id: archived },
      shop.admin,
    );
    const buyer = await shop.customer();
    const before = {
      orders: await count('orders.order'),
      events: await count('orders.outbox_event'),
      keys: await count('orders.idempotency_key'),
    };
    const res = await place(buyer.headers, [
      { productId: few, quantity: 3 },
      { productId: archived, quantity: 1 },
      { productId: randomUUID(), quantity: 1 },
    ]);
    expect(res.data.placeOrder.order).toBeNull();
    expect(res.data.placeOrder.userErrors).toEqual([
      expect.objectContaining({ field: ['input', 'lines', '0', 'quantity'], code: 'INSUFFICIENT_STOCK', available: 2 }),
      expect.objectContaining({ field: ['input', 'lines', '1', 'productId'], code: 'PRODUCT_ARCHIVED' }),
      expect.objectContaining({ field: ['input', 'lines', '2', 'productId'], code: 'PRODUCT_NOT_FOUND' }),
    ]);
    expect({
      orders: await count('orders.order'),
      events: await count('orders.outbox_event'),
      keys: await count('orders.idempotency_key'),
    }).toEqual(before);
    expect(await shop.stock(few)).toBe(2);
  });

  it('rejects bad input with a code naming the field, writing nothing', async () => {
    const a = await shop.product({ stock: 5000 });
    const buyer = await shop.customer();
    const before = await count('orders.order');
    for (const quantity of [0, -1, 1001]) {
      const res = await place(buyer.headers, [{ productId: a, quantity }]);
      expect(res.data.placeOrder.userErrors).toEqual([
        expect.objectContaining({ field: ['input', 'lines', '0', 'quantity'], code: 'INVALID_QUANTITY' }),
      ]);
    }
    const merged = await place(buyer.headers, [
      { productId: a, quantity: 600 },
      { productId: a, quantity: 600 },
    ]);
    expect(merged.data.placeOrder.userErrors).toEqual([
      expect.objectContaining({ code: 'INVALID_QUANTITY', field: ['input', 'lines', '1', 'quantity'] }),
    ]);

    const empty = await place(buyer.headers, []);
    expect(empty.data.placeOrder.userErrors).toEqual([expect.objectContaining({ code: 'EMPTY_ORDER' })]);
    const many = await place(
      buyer.headers,
      Array.from({ length: 101 }, () => ({ productId: randomUUID(), quantity: 1 })),
    );
    expect(many.data.placeOrder.userErrors).toEqual([expect.objectContaining({ code: 'TOO_MANY_LINES' })]);

    const fractional = await place(buyer.headers, [{ productId: a, quantity: 1.5 }]);
    expect(fractional.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const malformedId = await place(buyer.headers, [{ productId: 'not-an-id', quantity: 1 }]);
    expect(malformedId.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.lines[0].productId',
    });
    const blankKey = await gql(
      url(),
      PLACE,
      { input: { lines: [{ productId: a, quantity: 1 }], idempotencyKey: '  ' } },
      buyer.headers,
    );
    expect(blankKey.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.idempotencyKey' });
    const noKey = await gql(url(), PLACE, { input: { lines: [{ productId: a, quantity: 1 }] } }, buyer.headers);
    expect(noKey.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const anonymous = await place({}, [{ productId: a, quantity: 1 }]);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    expect(await count('orders.order')).toBe(before);
    expect(await shop.stock(a)).toBe(5000);
  });
});

describe('idempotency', () => {
  it('returns the first order for a retry and refuses the key with other input', async () => {
    const a = await shop.product({ stock: 10 });
    const buyer = await shop.customer();
    const input = { lines: [{ productId: a, quantity: 2 }], idempotencyKey: `key-${randomUUID()}` };
    const first = await gql(url(), PLACE, { input }, buyer.headers);
    const retry = await gql(url(), PLACE, { input }, buyer.headers);
    expect(retry.data.placeOrder.order.id).toBe(first.data.placeOrder.order.id);
    expect(await shop.stock(a)).toBe(8);

    const events = await count('orders.outbox_event');
    const reused = await gql(
      url(),
      PLACE,
      { input: { ...input, lines: [{ productId: a, quantity: 3 }] } },
      buyer.headers,
    );
    expect(reused.data.placeOrder).toEqual({
      order: null,
      userErrors: [expect.objectContaining({ code: 'IDEMPOTENCY_KEY_REUSED', field: ['input', 'idempotencyKey'] })],
    });
    expect(await shop.stock(a)).toBe(8);
    expect(await count('orders.outbox_event')).toBe(events);

    // Keys are scoped to the caller: another customer may use the same key.
    const other = await shop.customer();
    const theirs = await gql(url(), PLACE, { input }, other.headers);
    expect(theirs.data.placeOrder.order.id).not.toBe(first.data.placeOrder.order.id);
  });

  it('does not remember a request that failed, so a corrected retry works', async () => {
    const a = await shop.product({ stock: 3 });
    const buyer = await shop.customer();
    const key = `fix-${randomUUID()}`;
    const tooMany = await gql(
      url(),
      PLACE,
      { input: { lines: [{ productId: a, quantity: 5 }], idempotencyKey: key } },
      buyer.headers,
    );
    expect(tooMany.data.placeOrder.userErrors[0].code).toBe('INSUFFICIENT_STOCK');
    const fixed = await gql(
      url(),
      PLACE,
      { input: { lines: [{ productId: a, quantity: 3 }], idempotencyKey: key } },
      buyer.headers,
    );
    expect(fixed.data.placeOrder.userErrors).toEqual([]);
    expect(await shop.stock(a)).toBe(0);
  });
});

describe('lifecycle', () => {
  it('goes PENDING → PAID → SHIPPED → DELIVERED with history and one event per change', async () => {
    const a = await shop.product({ stock: 10 });
    const buyer = await shop.customer();
    const order = await placed(buyer.headers, [{ productId: a, quantity: 1 }]);
    const paid = await moveTo(order.id, 'PAID');
    expect(paid.order).toMatchObject({ status: 'PAID', version: 2 });
    const shipped = await moveTo(order.id, 'SHIPPED');
    expect(shipped.order).toMatchObject({
      status: 'SHIPPED',
      version: 3,
      tracking: { carrier: 'DHL', trackingNumber: 'JD0001' },
    });
    const delivered = await moveTo(order.id, 'DELIVERED');
    expect(delivered.order.statusHistory.map((h: { status: string }) => h.status)).toEqual([
      'PENDING',
      'PAID',
      'SHIPPED',
      'DELIVERED',
    ]);

    const events = await eventsFor(order.id);
    expect(
      events.map((e) => [e.type, e.aggregate_version, (e.data as any).previousStatus, (e.data as any).status]),
    ).toEqual([
      ['order.created', 1, undefined, 'PENDING'],
      ['order.updated', 2, 'PENDING', 'PAID'],
      ['order.updated', 3, 'PAID', 'SHIPPED'],
      ['order.updated', 4, 'SHIPPED', 'DELIVERED'],
    ]);
    expect((events[2]!.data as any).tracking).toEqual({ carrier: 'DHL', trackingNumber: 'JD0001' });
  });

  const invalid: [Status[], Exclude<Status, 'PENDING'>][] = [
    [[], 'SHIPPED'],
    [[], 'DELIVERED'],
    [['PAID'], 'PAID'],
    [['PAID'], 'DELIVERED'],
    [['PAID', 'SHIPPED'], 'CANCELLED'],
    [['PAID', 'SHIPPED'], 'PAID'],
    [['PAID', 'SHIPPED', 'DELIVERED'], 'CANCELLED'],
    [['PAID', 'SHIPPED', 'DELIVERED'], 'SHIPPED'],
    [['CANCELLED'], 'PAID'],
    [['CANCELLED'], 'CANCELLED'],
  ];
  it.each(invalid)('refuses %j → %s with the current and requested status, changing nothing', async (path, to) => {
    const a = await shop.product({ stock: 10 });
    const buyer = await shop.customer();
    const order = await placed(buyer.headers, [{ productId: a, quantity: 1 }]);
    for (const step of path) expect((await moveTo(order.id, step)).userErrors).toEqual([]);
    const current = path.at(-1) ?? 'PENDING';
    const stock = await shop.stock(a);
    const events = (await eventsFor(order.id)).length;
    const res = await moveTo(order.id, to);
    expect(res.order).toBeNull();
    expect(res.userErrors).toEqual([
      expect.objectContaining({ code: 'INVALID_TRANSITION', currentStatus: current, requestedStatus: to }),
    ]);
    expect(await shop.stock(a)).toBe(stock);
    expect(await eventsFor(order.id)).toHaveLength(events);
  });

  it('lets a customer cancel their own pending order, releasing its stock, and nothing more', async () => {
    const a = await shop.product({ stock: 10 });
    const buyer = await shop.customer();
    const stranger = await shop.customer();
    const order = await placed(buyer.headers, [{ productId: a, quantity: 4 }]);
    expect(await shop.stock(a)).toBe(6);

    const notYours = await moveTo(order.id, 'CANCELLED', stranger.headers);
    expect(notYours.userErrors).toEqual([expect.objectContaining({ code: 'ORDER_NOT_FOUND' })]);
    const payAsCustomer = await gql(url(), TRANSITIONS.PAID, { id: order.id }, buyer.headers);
    expect(payAsCustomer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const cancelled = await moveTo(order.id, 'CANCELLED', buyer.headers);
    expect(cancelled.order).toMatchObject({ status: 'CANCELLED' });
    expect(cancelled.order.statusHistory.at(-1)).toEqual({
      status: 'CANCELLED',
      actorId: buyer.id,
      note: 'changed my mind',
    });
    expect(await shop.stock(a)).toBe(10);
    const ledger = await dbs.inventory
      .selectFrom('inventory.stock_ledger')
      .select(sql<number>`sum(delta)`.as('sum'))
      .where('product_id', '=', a)
      .executeTakeFirst();
    expect(Number((ledger as { sum: number }).sum)).toBe(10);
  });

  it('lets only an admin cancel a paid order', async () => {
    const a = await shop.product({ stock: 10 });
    const buyer = await shop.customer();
    const order = await placed(buyer.headers, [{ productId: a, quantity: 2 }]);
    await moveTo(order.id, 'PAID');
    const byCustomer = await moveTo(order.id, 'CANCELLED', buyer.headers);
    expect(byCustomer.userErrors).toEqual([
      expect.objectContaining({ code: 'INVALID_TRANSITION', currentStatus: 'PAID' }),
    ]);
    expect(await shop.stock(a)).toBe(8);
    const byAdmin = await moveTo(order.id, 'CANCELLED');
    expect(byAdmin.order.status).toBe('CANCELLED');
    expect(await shop.stock(a)).toBe(10);
  });

  it('lets only one of two concurrent conflicting changes win', async () => {
    const a = await shop.product({ stock: 10 });
    const buyer = await shop.customer();
    const order = await placed(buyer.headers, [{ productId: a, quantity: 1 }]);
    const [cancel, pay] = await Promise.all([moveTo(order.id, 'CANCELLED', buyer.headers), moveTo(order.id, 'PAID')]);
    const winners = [cancel, pay].filter((r) => r.userErrors.length === 0);
    expect(winners).toHaveLength(1);
    const [loser] = [cancel, pay].filter((r) => r.userErrors.length > 0);
    expect(loser.userErrors[0].code).toBe('INVALID_TRANSITION');
    expect(await eventsFor(order.id)).toHaveLength(2);
  });

  it('changes the shipping address until the order ships', async () => {
    const a = await shop.product({ stock: 10 });
    const buyer = await shop.customer();
    const order = await placed(buyer.headers, [{ productId: a, quantity: 1 }]);
    const CHANGE = `mutation ($id: ID!, $address: ShippingAddressInput!) { updateShippingAddress(id: $id, address: $address) {
      order { shippingAddress { city } version } userErrors { code field currentStatus } } }`;
    const address = { name: 'New', line1: '3 Side St', city: 'York', postalCode: 'YO1', countryCode: 'GB' };
    const changed = await gql(url(), CHANGE, { id: order.id, address }, buyer.headers);
    expect(changed.data.updateShippingAddress).toEqual({
      order: { shippingAddress: { city: 'York' }, version: 2 },
      userErrors: [],
    });
    const bad = await gql(url(), CHANGE, { id: order.id, address: { ...address, countryCode: 'XYZ' } }, buyer.headers);
    expect(bad.data.updateShippingAddress.userErrors).toEqual([
      { code: 'INVALID_ADDRESS', field: ['address', 'countryCode'], currentStatus: null },
    ]);
    await moveTo(order.id, 'PAID');
    await moveTo(order.id, 'SHIPPED');
    const late = await gql(url(), CHANGE, { id: order.id, address }, buyer.headers);
    expect(late.data.updateShippingAddress.userErrors).toEqual([
      { code: 'ALREADY_SHIPPED', field: ['id'], currentStatus: 'SHIPPED' },
    ]);
    expect((await eventsFor(order.id)).map((e) => (e.data as any).changed ?? null)).toEqual([
      null,
      ['shippingAddress'],
      ['status'],
      ['status', 'tracking'],
    ]);
  });
});

describe('when the order transaction fails', () => {
  // Concurrency across services (200 buyers of 50 units, opposite-order lines) is tested with RabbitMQ
  // in placement-across-services.test.ts.
  it('leaves no order, no key and no event, and releases the reservation it made', async () => {
    const a = await shop.product({ stock: 10 });
    const buyer = await shop.customer();
    const before = {
      orders: await count('orders.order'),
      events: await count('orders.outbox_event'),
      keys: await count('orders.idempotency_key'),
    };
    // A real failure inside the transaction: the outbox insert violates a constraint.
    await sql`alter table orders.outbox_event add constraint test_reject_all check (false) not valid`.execute(db);
    try {
      const res = await place(buyer.headers, [{ productId: a, quantity: 3 }]);
      expect(res.data?.placeOrder ?? null).toBeNull();
      expect(res.errors?.[0]).toMatchObject({
        message: 'Internal server error',
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
    } finally {
      await sql`alter table orders.outbox_event drop constraint test_reject_all`.execute(db);
    }
    expect({
      orders: await count('orders.order'),
      events: await count('orders.outbox_event'),
      keys: await count('orders.idempotency_key'),
    }).toEqual(before);
    expect(await shop.stock(a)).toBe(10);
    // Inventory did reserve; the order service released it at once.
    const ledger = await dbs.inventory
      .selectFrom('inventory.stock_ledger')
      .select(['reason', 'delta', 'reference'])
      .where('product_id', '=', a)
      .orderBy('id')
      .execute();
    expect(ledger.map((r) => [r.reason, r.delta])).toEqual([
      ['INITIAL', 10],
      ['ORDER_RESERVED', -3],
      ['ORDER_RELEASED', 3],
    ]);
    const reservation = await dbs.inventory
      .selectFrom('inventory.reservation')
      .select('status')
      .where('order_id', '=', ledger[1]!.reference!)
      .executeTakeFirstOrThrow();
    expect(reservation.status).toBe('RELEASED');
  });
});

describe('listing orders', () => {
  it('filters by status, customer and time, newest first, and keeps customers to their own', async () => {
    const a = await shop.product({ stock: 100 });
    const alice = await shop.customer();
    const bob = await shop.customer();
    const start = new Date();
    const a1 = await placed(alice.headers, [{ productId: a, quantity: 1 }]);
    const a2 = await placed(alice.headers, [{ productId: a, quantity: 1 }]);
    const b1 = await placed(bob.headers, [{ productId: a, quantity: 1 }]);
    await moveTo(a2.id, 'PAID');
    const LIST = `query ($filter: OrderFilter) { orders(first: 100, filter: $filter) { edges { node { id } } } }`;
    const ids = (res: any) => res.data.orders.edges.map((e: any) => e.node.id);

    expect(ids(await gql(url(), LIST, { filter: { placedAfter: start.toISOString() } }, alice.headers))).toEqual([
      a2.id,
      a1.id,
    ]);
    expect(
      ids(await gql(url(), LIST, { filter: { status: 'PAID', placedAfter: start.toISOString() } }, alice.headers)),
    ).toEqual([a2.id]);
    expect(ids(await gql(url(), LIST, { filter: { customerId: bob.id } }, shop.admin))).toEqual([b1.id]);
    expect(
      ids(
        await gql(
          url(),
          LIST,
          { filter: { placedAfter: start.toISOString(), placedBefore: new Date(Date.now() + 1000).toISOString() } },
          shop.admin,
        ),
      ),
    ).toEqual([b1.id, a2.id, a1.id]);
    const snooping = await gql(url(), LIST, { filter: { customerId: bob.id } }, alice.headers);
    expect(snooping.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const viaCustomer = await gql(
      url(),
      `query ($id: ID!) { customer(id: $id) { orders(first: 10, status: PENDING) { edges { node { id status } } } } }`,
      { id: alice.id },
      alice.headers,
    );
    expect(viaCustomer.data.customer.orders.edges).toEqual([{ node: { id: a1.id, status: 'PENDING' } }]);

    // A cursor made for one filter is refused for another.
    const page = await gql(url(), `{ orders(first: 1) { pageInfo { endCursor } } }`, {}, alice.headers);
    const replay = await gql(
      url(),
      `query ($after: String) { orders(first: 1, after: $after, filter: { status: PAID }) { edges { cursor } } }`,
      { after: page.data.orders.pageInfo.endCursor },
      alice.headers,
    );
    expect(replay.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});

describe('idempotency key retention', () => {
  it('prunes keys only once they are past the retention', async () => {
    const { pruneIdempotencyKeys } = await import('../subgraphs/order/src/order/order.repository.js');
    const a = await shop.product({ stock: 10 });
    const buyer = await shop.customer();
    const order = await placed(buyer.headers, [{ productId: a, quantity: 1 }]);
    await db
      .insertInto('orders.idempotency_key')
      .values({
        caller_id: buyer.id,
        key: 'old-key',
        request_hash: 'x',
        order_id: order.id,
        created_at: new Date(Date.now() - 49 * 3600_000),
      })
      .execute();
    const keys = () =>
      db.selectFrom('orders.idempotency_key').select('key').where('caller_id', '=', buyer.id).orderBy('key').execute();
    expect((await keys()).length).toBe(2);
    expect(await pruneIdempotencyKeys(db as never, new Date(Date.now() - 48 * 3600_000))).toBe(1);
    expect((await keys()).map((k) => k.key)).not.toContain('old-key');
    expect(await keys()).toHaveLength(1);
  });
});
