import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Viewer } from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import { createTestDatabases, type TestDatabases } from '../../../test/support/database.js';
import { startInventoryForOrders, waitFor } from '../../../test/support/events.js';
import { closeFixtureDbs, insertProducts, openFixtureDbs, type FixtureDbs } from '../../../test/support/fixtures.js';
import type { OrderDatabase } from '../src/database.js';
import { connectNeighbours, type Neighbours } from '../src/neighbours.js';
import { changeOrderStatus } from '../src/order/order-status.service.js';
import { placeOrder } from '../src/order/place-order.service.js';
import {
  settleReservationCall,
  startReservationCallDispatcher,
  STOCK_LOST_REASON,
} from '../src/reservation/reservation-call.dispatcher.js';
import { deliverReservationCall } from '../src/reservation/reservation-call.service.js';

// placeOrder, cancellations and reservation calls at the service level: the
// order service's own database and the real inventory service, no gateway.

let databases: TestDatabases;
let dbs: FixtureDbs;
let db: Kysely<OrderDatabase>;
let inventory: Awaited<ReturnType<typeof startInventoryForOrders>>;
let neighbours: Neighbours;
/** Proxies to an inventory that is not there: every call fails to connect. */
let unreachable: Neighbours;

const buyer: Viewer = { customerId: randomUUID(), role: 'CUSTOMER' };
const ADDRESS = { name: 'A', line1: '1 High St', city: 'Bath', postalCode: 'BA1', countryCode: 'GB' };

beforeAll(async () => {
  databases = await createTestDatabases();
  dbs = openFixtureDbs(databases.urls);
  db = dbs.order;
  inventory = await startInventoryForOrders(databases.urls.inventory);
  neighbours = inventory.neighbours;
  unreachable = connectNeighbours({
    inventoryUrl: 'http://127.0.0.1:9',
    customerUrl: 'http://127.0.0.1:9',
    serviceAuth: { service: 'order', secrets: ['x'.repeat(32)] },
    timeoutMs: 500,
  });
});

afterAll(async () => {
  await inventory?.stop();
  await closeFixtureDbs(dbs);
  await databases?.drop();
});

const product = async (stock: number, currency = 'USD') => {
  const [row] = await insertProducts(dbs.inventory, 1, 'PO', stock);
  if (currency !== 'USD') {
    await dbs.inventory.updateTable('inventory.product').set({ currency }).where('id', '=', row!.id).execute();
  }
  return row!.id;
};
const reservationOf = (orderId: string) =>
  dbs.inventory.selectFrom('inventory.reservation').select('status').where('order_id', '=', orderId).executeTakeFirst();
const callsOf = (orderId: string) =>
  db.selectFrom('orders.reservation_call').selectAll().where('order_id', '=', orderId).execute();
const reasons = async (productId: string) =>
  (
    await dbs.inventory
      .selectFrom('inventory.stock_ledger')
      .select('reason')
      .where('product_id', '=', productId)
      .orderBy('id')
      .execute()
  ).map((r) => r.reason);
const order = (lines: { productId: string; quantity: number }[]) =>
  placeOrder(db, neighbours, buyer, { lines, shippingAddress: ADDRESS, idempotencyKey: randomUUID() });

describe('placeOrder', () => {
  it('reserves, commits and confirms: the reservation is CONFIRMED and no call is left', async () => {
    const p = await product(5);
    const result = await order([{ productId: p, quantity: 2 }]);
    if (!result.ok) throw new Error(JSON.stringify(result.userErrors));
    expect(result.order).toMatchObject({ status: 'PENDING', total_minor: 200 });
    expect(await reservationOf(result.order.id)).toEqual({ status: 'CONFIRMED' });
    expect(await callsOf(result.order.id)).toEqual([]);
    expect(await reasons(p)).toEqual(['INITIAL', 'ORDER_RESERVED', 'ORDER_CONFIRMED']);
  });

  it('answers a refused reservation with userErrors and keeps no key', async () => {
    const p = await product(1);
    const key = randomUUID();
    const result = await placeOrder(db, neighbours, buyer, {
      lines: [{ productId: p, quantity: 2 }],
      shippingAddress: ADDRESS,
      idempotencyKey: key,
    });
    expect(result).toEqual({
      ok: false,
      userErrors: [
        {
          field: ['input', 'lines', '0', 'quantity'],
          code: 'INSUFFICIENT_STOCK',
          message: 'Only 1 in stock',
          available: 1,
        },
      ],
    });
    const keys = await db.selectFrom('orders.idempotency_key').select('key').where('key', '=', key).execute();
    expect(keys).toEqual([]);
  });

  it('releases the reservation when the order is refused after it (currencies differ)', async () => {
    const usd = await product(5);
    const eur = await product(5, 'EUR');
    const result = await order([
      { productId: usd, quantity: 1 },
      { productId: eur, quantity: 1 },
    ]);
    expect(!result.ok && result.userErrors.map((e) => e.code)).toEqual(['CURRENCY_MISMATCH']);
    for (const p of [usd, eur]) expect(await reasons(p)).toEqual(['INITIAL', 'ORDER_RESERVED', 'ORDER_RELEASED']);
  });

  it('throws SERVICE_UNAVAILABLE when inventory cannot be reached, and writes nothing', async () => {
    const p = await product(5);
    const key = randomUUID();
    await expect(
      placeOrder(db, unreachable, buyer, {
        lines: [{ productId: p, quantity: 1 }],
        shippingAddress: ADDRESS,
        idempotencyKey: key,
      }),
    ).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect(await db.selectFrom('orders.idempotency_key').select('key').where('key', '=', key).execute()).toEqual([]);
    expect(await reasons(p)).toEqual(['INITIAL']);
  });
});

describe('reservation calls', () => {
  it('come to done when inventory answers, retry (rescheduled) when it cannot, lost when a confirm is refused', async () => {
    const p = await product(5);
    const placed = await order([{ productId: p, quantity: 1 }]);
    if (!placed.ok) throw new Error('not placed');
    const orderId = placed.order.id;
    await db
      .insertInto('orders.reservation_call')
      .values({ order_id: orderId, action: 'RELEASE', actor: buyer.customerId, last_error: null, parked_at: null })
      .execute();

    const failed = await deliverReservationCall(db, unreachable.inventory, { orderId, action: 'RELEASE', actor: 'a' });
    expect(failed).toEqual({ kind: 'retry' });
    const [pending] = await callsOf(orderId);
    expect(pending?.last_error).toMatch(/inventory: cannot be reached/);
    expect(pending!.next_attempt_at.getTime()).toBeGreaterThan(Date.now());

    expect(await deliverReservationCall(db, neighbours.inventory, { orderId, action: 'RELEASE', actor: 'a' })).toEqual({
      kind: 'done',
    });
    expect(await callsOf(orderId)).toEqual([]);
    expect(await reservationOf(orderId)).toEqual({ status: 'RELEASED' });

    // A confirm of a reservation inventory never made is lost: settling it cancels the order as the system.
    const orphan = await order([{ productId: p, quantity: 1 }]);
    if (!orphan.ok) throw new Error('not placed');
    await dbs.inventory.deleteFrom('inventory.reservation').where('order_id', '=', orphan.order.id).execute();
    const lost = await deliverReservationCall(db, neighbours.inventory, {
      orderId: orphan.order.id,
      action: 'CONFIRM',
      actor: 'a',
    });
    expect(lost).toEqual({ kind: 'lost', code: 'RESERVATION_NOT_FOUND', message: expect.any(String) });
    expect(
      await settleReservationCall(db, neighbours, { orderId: orphan.order.id, action: 'CONFIRM', actor: 'a' }),
    ).toEqual({ kind: 'done' });
    const [cancelled] = await db
      .selectFrom('orders.order')
      .select(['status', 'cancel_reason'])
      .where('id', '=', orphan.order.id)
      .execute();
    expect(cancelled).toEqual({ status: 'CANCELLED', cancel_reason: STOCK_LOST_REASON });
  });

  it('releases a cancelled order’s stock later, when inventory was down during the cancellation', async () => {
    const p = await product(5);
    const placed = await order([{ productId: p, quantity: 3 }]);
    if (!placed.ok) throw new Error('not placed');
    const orderId = placed.order.id;

    const cancelled = await changeOrderStatus(db, unreachable, buyer, orderId, { to: 'CANCELLED', reason: 'oops' });
    expect(cancelled.ok).toBe(true);
    expect(await reservationOf(orderId)).toEqual({ status: 'CONFIRMED' });
    const [call] = await callsOf(orderId);
    expect(call).toMatchObject({ action: 'RELEASE', actor: buyer.customerId });
    await db
      .updateTable('orders.reservation_call')
      .set({ next_attempt_at: new Date() })
      .where('order_id', '=', orderId)
      .execute();

    const stop = startReservationCallDispatcher(db, neighbours, { pollIntervalMs: 50, leaseMs: 5000 });
    try {
      await waitFor('the dispatcher to release the stock', async () => (await callsOf(orderId)).length === 0);
    } finally {
      await stop();
    }
    expect(await reservationOf(orderId)).toEqual({ status: 'RELEASED' });
    expect(await reasons(p)).toEqual(['INITIAL', 'ORDER_RESERVED', 'ORDER_CONFIRMED', 'ORDER_RELEASED']);
  });
});
