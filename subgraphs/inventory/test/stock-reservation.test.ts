import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql, type Kysely } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import type { InventoryDatabase } from '../src/database.js';
import { archiveProduct } from '../src/product/product.service.js';
import {
  confirm,
  EXPIRY_ACTOR,
  expireDueReservations,
  release,
  reserve,
  type ReservationResult,
} from '../src/reservation/reservation.service.js';
import type { StockLine } from '../src/stock/order-stock.service.js';
import { admin, ledgerMismatches, ledgerOf, makeProduct, openInventoryDb, stockOf } from './support.js';

// The reservation service (docs/adr/0014) on real Postgres: what it answers,
// what it writes, and how it behaves when many callers arrive at once.

let database: TestDatabase;
let db: Kysely<InventoryDatabase>;

beforeAll(async () => {
  database = await createTestDatabase();
  db = openInventoryDb(database.url, 20);
});

afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

const TTL = 600_000;
const buyer = 'customer-1';
const reserveFor = (lines: StockLine[], orderId = randomUUID(), ttlMs = TTL) =>
  reserve(db, { orderId, actor: buyer, caller: 'order', lines }, ttlMs);
const statusOf = async (orderId: string) =>
  (await db.selectFrom('inventory.reservation').select('status').where('order_id', '=', orderId).executeTakeFirst())
    ?.status;
const reasons = async (productId: string) => (await ledgerOf(db, productId)).map((r) => [r.reason, r.delta]);
const ok = (result: ReservationResult) => {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.userErrors)}`);
  return result.reservation;
};
/** Makes a reservation look as if its time ran out. */
const expire = (orderId: string) =>
  db
    .updateTable('inventory.reservation')
    .set({ expires_at: sql<Date>`now() - interval '1 second'` })
    .where('order_id', '=', orderId)
    .execute();

describe('reserve', () => {
  it('reserves every line, returns the price snapshot in line order, and expires after the TTL', async () => {
    const mug = await makeProduct(db, { price: '14.50', initialStock: 5 });
    const tee = await makeProduct(db, { price: '25.00', currencyCode: 'EUR', initialStock: 3 });
    const orderId = randomUUID();

    // Two lines of the mug are summed: its row is locked and written once.
    const reservation = ok(
      await reserveFor(
        [
          { productId: tee.id, quantity: 1 },
          { productId: mug.id.toUpperCase(), quantity: 2 },
          { productId: mug.id, quantity: 3 },
        ],
        orderId,
      ),
    );
    expect(reservation).toMatchObject({
      orderId,
      status: 'RESERVED',
      lines: [
        { productId: tee.id, quantity: 1, unitPriceMinor: 2500, currency: 'EUR' },
        { productId: mug.id, quantity: 2, unitPriceMinor: 1450, currency: 'USD' },
        { productId: mug.id, quantity: 3, unitPriceMinor: 1450, currency: 'USD' },
      ],
    });
    expect(reservation.expiresInMs).toBeGreaterThan(TTL - 5_000);
    expect(reservation.expiresInMs).toBeLessThanOrEqual(TTL);
    expect(Date.parse(reservation.expiresAt!)).toBeGreaterThan(Date.now() + TTL - 5_000);
    expect(await stockOf(db, mug.id)).toBe(0);
    expect(await stockOf(db, tee.id)).toBe(2);
    const mugLedger = await ledgerOf(db, mug.id);
    expect(mugLedger.map((r) => [r.reason, r.delta, r.stock_after, r.reference, r.actor])).toEqual([
      ['INITIAL', 5, 5, null, admin.customerId],
      ['ORDER_RESERVED', -5, 0, orderId, buyer],
    ]);
  });

  it('reports every failing line by index and writes nothing, not even the reservation', async () => {
    const plenty = await makeProduct(db, { initialStock: 10 });
    const scarce = await makeProduct(db, { initialStock: 2 });
    const archived = await makeProduct(db, { initialStock: 10 });
    await archiveProduct(db, admin, archived.id);
    const orderId = randomUUID();

    const result = await reserveFor(
      [
        { productId: plenty.id, quantity: 4 },
        { productId: scarce.id, quantity: 2 },
        { productId: archived.id, quantity: 1 },
        { productId: randomUUID(), quantity: 1 },
        { productId: plenty.id, quantity: 0 },
        { productId: 'not-a-uuid', quantity: 1 },
        { productId: scarce.id, quantity: 1 },
        { productId: plenty.id, quantity: 1.5 },
      ],
      orderId,
    );

    expect(result.ok).toBe(false);
    expect(!result.ok && result.userErrors.map((e) => [e.field, e.code, e.available])).toEqual([
      [['lines', '1', 'quantity'], 'INSUFFICIENT_STOCK', 2],
      [['lines', '2', 'productId'], 'PRODUCT_ARCHIVED', undefined],
      [['lines', '3', 'productId'], 'PRODUCT_NOT_FOUND', undefined],
      [['lines', '4', 'quantity'], 'INVALID_QUANTITY', undefined],
      [['lines', '5', 'productId'], 'PRODUCT_NOT_FOUND', undefined],
      [['lines', '6', 'quantity'], 'INSUFFICIENT_STOCK', 2],
      [['lines', '7', 'quantity'], 'INVALID_QUANTITY', undefined],
    ]);
    expect(await stockOf(db, plenty.id)).toBe(10);
    expect(await stockOf(db, scarce.id)).toBe(2);
    expect(await ledgerOf(db, plenty.id)).toHaveLength(1);
    expect(await statusOf(orderId)).toBeUndefined();
    // A corrected request with the same order id is free to go.
    expect(ok(await reserveFor([{ productId: plenty.id, quantity: 4 }], orderId)).status).toBe('RESERVED');
  });

  it('is idempotent by order id: ten identical concurrent requests make one reservation', async () => {
    const product = await makeProduct(db, { initialStock: 10 });
    const orderId = randomUUID();
    const lines = [{ productId: product.id, quantity: 3 }];

    const results = await Promise.all(Array.from({ length: 10 }, () => reserveFor(lines, orderId)));

    const views = results.map(ok);
    expect(new Set(views.map((v) => JSON.stringify(v.lines))).size).toBe(1);
    expect(await stockOf(db, product.id)).toBe(7);
    expect(await reasons(product.id)).toEqual([
      ['INITIAL', 10],
      ['ORDER_RESERVED', -3],
    ]);
    // The same order id with other lines is a conflict, not a second reservation.
    const other = await reserveFor([{ productId: product.id, quantity: 4 }], orderId);
    expect(!other.ok && other.userErrors[0]?.code).toBe('RESERVATION_CONFLICT');
    expect(await stockOf(db, product.id)).toBe(7);
  });

  it('lets exactly as many of 200 concurrent single-unit reservations through as there are units (50)', async () => {
    const product = await makeProduct(db, { initialStock: 50 });

    const results = await Promise.all(
      Array.from({ length: 200 }, () => reserveFor([{ productId: product.id, quantity: 1 }])),
    );

    expect(results.filter((r) => r.ok)).toHaveLength(50);
    const refused = results.filter((r) => !r.ok);
    expect(refused).toHaveLength(150);
    expect(refused.every((r) => !r.ok && r.userErrors[0]?.code === 'INSUFFICIENT_STOCK')).toBe(true);
    expect(await stockOf(db, product.id)).toBe(0);
    const ledger = await ledgerOf(db, product.id);
    expect(ledger.filter((r) => r.reason === 'ORDER_RESERVED')).toHaveLength(50);
    expect(ledger.reduce((sum, r) => sum + r.delta, 0)).toBe(0);
    // Written under the row lock, stock_after counts down 49, 48, ... 0 with no repeats.
    expect(ledger.slice(1).map((r) => r.stock_after)).toEqual(Array.from({ length: 50 }, (_, i) => 49 - i));
  });

  it('runs multi-line reservations over the same products in opposite orders concurrently without deadlocks', async () => {
    const products = await Promise.all([1, 2, 3, 4].map(() => makeProduct(db, { initialStock: 1000 })));
    const forward = products.map((p) => ({ productId: p.id, quantity: 1 }));
    const backward = [...forward].reverse();

    const settled = await Promise.allSettled(
      Array.from({ length: 120 }, (_, i) => reserveFor(i % 2 === 0 ? forward : backward)),
    );

    expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
    expect(settled.every((s) => s.status === 'fulfilled' && s.value.ok)).toBe(true);
    for (const p of products) expect(await stockOf(db, p.id)).toBe(880);
  });
});

describe('confirm and release', () => {
  it('confirms once, however often the confirmation is delivered', async () => {
    const a = await makeProduct(db, { initialStock: 5 });
    const b = await makeProduct(db, { initialStock: 5 });
    const orderId = randomUUID();
    ok(
      await reserveFor(
        [
          { productId: a.id, quantity: 2 },
          { productId: b.id, quantity: 1 },
        ],
        orderId,
      ),
    );

    // Redelivered: ten at once, then once more.
    const results = await Promise.all(Array.from({ length: 10 }, () => confirm(db, orderId, buyer)));
    results.push(await confirm(db, orderId, buyer));

    for (const r of results) expect(ok(r)).toMatchObject({ status: 'CONFIRMED', expiresAt: null, expiresInMs: null });
    expect(await reasons(a.id)).toEqual([
      ['INITIAL', 5],
      ['ORDER_RESERVED', -2],
      ['ORDER_CONFIRMED', 0],
    ]);
    expect((await ledgerOf(db, a.id)).at(-1)).toMatchObject({ stock_after: 3, reference: orderId });
    expect([await stockOf(db, a.id), await stockOf(db, b.id)]).toEqual([3, 4]);
    // A confirmed reservation does not expire.
    await expire(orderId);
    expect(await expireDueReservations(db)).toBe(0);
    expect(await statusOf(orderId)).toBe('CONFIRMED');
  });

  it('releases once, however often the release is delivered, and a release is final', async () => {
    const product = await makeProduct(db, { initialStock: 10 });
    const orderId = randomUUID();
    const lines = [{ productId: product.id, quantity: 4 }];
    ok(await reserveFor(lines, orderId));
    ok(await confirm(db, orderId, buyer));

    const results = await Promise.all(Array.from({ length: 10 }, () => release(db, orderId, 'canceller', 'order')));

    for (const r of results) expect(ok(r).status).toBe('RELEASED');
    expect(await stockOf(db, product.id)).toBe(10);
    expect(await reasons(product.id)).toEqual([
      ['INITIAL', 10],
      ['ORDER_RESERVED', -4],
      ['ORDER_CONFIRMED', 0],
      ['ORDER_RELEASED', 4],
    ]);
    expect((await ledgerOf(db, product.id)).at(-1)?.actor).toBe('canceller');
    // A late confirmation or reserve of the same order cannot take the stock again.
    const late = await confirm(db, orderId, buyer);
    expect(!late.ok && late.userErrors[0]?.code).toBe('RESERVATION_RELEASED');
    const again = await reserveFor(lines, orderId);
    expect(!again.ok && again.userErrors[0]?.code).toBe('RESERVATION_RELEASED');
    expect(await stockOf(db, product.id)).toBe(10);
  });

  it('remembers a release that came before its reserve, and refuses the reserve', async () => {
    const product = await makeProduct(db, { initialStock: 3 });
    const orderId = randomUUID();
    expect(ok(await release(db, orderId, 'order-service', 'order'))).toMatchObject({ status: 'RELEASED', lines: [] });
    const late = await reserveFor([{ productId: product.id, quantity: 1 }], orderId);
    expect(!late.ok && late.userErrors[0]?.code).toBe('RESERVATION_RELEASED');
    expect(await stockOf(db, product.id)).toBe(3);
  });

  it('answers RESERVATION_NOT_FOUND when confirming an order it never reserved', async () => {
    const result = await confirm(db, randomUUID(), buyer);
    expect(!result.ok && result.userErrors[0]?.code).toBe('RESERVATION_NOT_FOUND');
  });

  it('returns units of a product archived since the reservation', async () => {
    const product = await makeProduct(db, { initialStock: 2 });
    const orderId = randomUUID();
    ok(await reserveFor([{ productId: product.id, quantity: 2 }], orderId));
    await archiveProduct(db, admin, product.id);
    ok(await release(db, orderId, buyer, 'order'));
    expect(await stockOf(db, product.id)).toBe(2);
  });
});

describe('expiry', () => {
  it('returns the stock of reservations past their time, with ORDER_EXPIRED rows, and only theirs', async () => {
    const product = await makeProduct(db, { initialStock: 10 });
    const due = randomUUID();
    const fresh = randomUUID();
    ok(await reserveFor([{ productId: product.id, quantity: 3 }], due, 50));
    ok(await reserveFor([{ productId: product.id, quantity: 2 }], fresh));
    expect(await stockOf(db, product.id)).toBe(5);
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(await expireDueReservations(db)).toBeGreaterThanOrEqual(1);

    expect(await statusOf(due)).toBe('EXPIRED');
    expect(await statusOf(fresh)).toBe('RESERVED');
    expect(await stockOf(db, product.id)).toBe(8);
    const expiry = (await ledgerOf(db, product.id)).at(-1);
    expect(expiry).toMatchObject({ reason: 'ORDER_EXPIRED', delta: 3, reference: due, actor: EXPIRY_ACTOR });
    // Twice is once.
    await expireDueReservations(db);
    expect(await stockOf(db, product.id)).toBe(8);
  });

  it('confirms a reservation past its time that the sweeper has not reached', async () => {
    const product = await makeProduct(db, { initialStock: 4 });
    const orderId = randomUUID();
    ok(await reserveFor([{ productId: product.id, quantity: 4 }], orderId));
    await expire(orderId);
    expect(ok(await confirm(db, orderId, buyer)).status).toBe('CONFIRMED');
    await expireDueReservations(db);
    expect(await stockOf(db, product.id)).toBe(0);
  });

  it('confirms a late order by reserving again when the units are still there', async () => {
    const product = await makeProduct(db, { initialStock: 4 });
    const orderId = randomUUID();
    ok(await reserveFor([{ productId: product.id, quantity: 3 }], orderId));
    await expire(orderId);
    await expireDueReservations(db);
    expect(await stockOf(db, product.id)).toBe(4);

    expect(ok(await confirm(db, orderId, buyer)).status).toBe('CONFIRMED');

    expect(await stockOf(db, product.id)).toBe(1);
    expect(await reasons(product.id)).toEqual([
      ['INITIAL', 4],
      ['ORDER_RESERVED', -3],
      ['ORDER_EXPIRED', 3],
      ['ORDER_RESERVED', -3],
      ['ORDER_CONFIRMED', 0],
    ]);
  });

  it('refuses a late confirmation when the units are gone, taking nothing', async () => {
    const product = await makeProduct(db, { initialStock: 4 });
    const orderId = randomUUID();
    ok(await reserveFor([{ productId: product.id, quantity: 3 }], orderId));
    await expire(orderId);
    await expireDueReservations(db);
    // Someone else buys them meanwhile.
    ok(await reserveFor([{ productId: product.id, quantity: 2 }]));

    const late = await confirm(db, orderId, buyer);

    expect(!late.ok && late.userErrors[0]?.code).toBe('RESERVATION_EXPIRED');
    expect(await stockOf(db, product.id)).toBe(2);
    expect(await statusOf(orderId)).toBe('EXPIRED');
    // The order service then cancels the order; the release makes it final without moving stock.
    ok(await release(db, orderId, 'system', 'order'));
    expect(await statusOf(orderId)).toBe('RELEASED');
    expect(await stockOf(db, product.id)).toBe(2);
  });

  it('lets exactly one of a confirmation and the sweeper win a reservation at its expiry', async () => {
    const products = await Promise.all([1, 2].map(() => makeProduct(db, { initialStock: 100 })));
    const orderIds = Array.from({ length: 20 }, () => randomUUID());
    for (const orderId of orderIds) {
      ok(await reserveFor([{ productId: products[orderIds.indexOf(orderId) % 2]!.id, quantity: 1 }], orderId));
      await expire(orderId);
    }
    await Promise.all([
      ...orderIds.map((orderId) => confirm(db, orderId, buyer)),
      expireDueReservations(db),
      expireDueReservations(db),
    ]);
    // Whoever won, each reservation ended CONFIRMED (holding its unit) and the ledger agrees with the stock.
    for (const orderId of orderIds) expect(await statusOf(orderId)).toBe('CONFIRMED');
    expect((await stockOf(db, products[0]!.id)) + (await stockOf(db, products[1]!.id))).toBe(180);
    expect(await ledgerMismatches(db)).toEqual([]);
  });
});

it('keeps every product’s ledger summing to its stock', async () => {
  expect(await ledgerMismatches(db)).toEqual([]);
  // The check itself notices a stock changed behind the ledger's back.
  const product = await makeProduct(db, { initialStock: 1 });
  await db.updateTable('inventory.product').set({ stock: 7 }).where('id', '=', product.id).execute();
  expect(await ledgerMismatches(db)).toEqual([{ sku: product.sku, stock: 7, ledger: 1 }]);
  await db.updateTable('inventory.product').set({ stock: 1 }).where('id', '=', product.id).execute();
});
