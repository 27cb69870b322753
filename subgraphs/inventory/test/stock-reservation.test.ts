import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sqlState } from '@shopgraph/lib';
import type { Kysely, Transaction } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import type { InventoryDatabase } from '../src/database.js';
import { archiveProduct } from '../src/product/product.service.js';
import {
  asInventoryTransaction,
  releaseStock,
  reserveStock,
  type ReserveResult,
  type StockLine,
} from '../src/stock/reservation.service.js';
import { admin, ledgerMismatches, ledgerOf, makeProduct, openInventoryDb, stockOf } from './support.js';

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

const buyer = { actor: 'customer-1' };
const order = () => ({ reference: randomUUID(), ...buyer });

/** Rolls back when the reservation fails, as the order subgraph will. */
class Refused extends Error {
  constructor(readonly result: ReserveResult) {
    super('reservation refused');
  }
}

/** Reserves in a transaction of its own; a refusal rolls it back and is returned. */
async function reserveInTransaction(lines: StockLine[], ref = order()): Promise<ReserveResult> {
  try {
    return await db.transaction().execute(async (trx) => {
      const result = await reserveStock(trx, lines, ref);
      if (!result.ok) throw new Refused(result);
      return result;
    });
  } catch (error) {
    if (error instanceof Refused) return error.result;
    throw error;
  }
}

describe('reserveStock', () => {
  it('reserves every line, returns the price snapshot in line order and writes one ledger row per product', async () => {
    const mug = await makeProduct(db, { price: '14.50', initialStock: 5 });
    const tee = await makeProduct(db, { price: '25.00', currencyCode: 'EUR', initialStock: 3 });
    const ref = order();

    // Two lines of the mug are summed: its row is locked and written once.
    const result = await reserveInTransaction(
      [
        { productId: tee.id, quantity: 1 },
        { productId: mug.id.toUpperCase(), quantity: 2 },
        { productId: mug.id, quantity: 3 },
      ],
      ref,
    );

    expect(result).toEqual({
      ok: true,
      lines: [
        { productId: tee.id, quantity: 1, unitPriceMinor: 2500, currency: 'EUR' },
        { productId: mug.id, quantity: 2, unitPriceMinor: 1450, currency: 'USD' },
        { productId: mug.id, quantity: 3, unitPriceMinor: 1450, currency: 'USD' },
      ],
    });
    expect(await stockOf(db, mug.id)).toBe(0);
    expect(await stockOf(db, tee.id)).toBe(2);
    const mugLedger = await ledgerOf(db, mug.id);
    expect(mugLedger.map((r) => [r.reason, r.delta, r.stock_after, r.reference, r.actor])).toEqual([
      ['INITIAL', 5, 5, null, admin.customerId],
      ['ORDER_RESERVED', -5, 0, ref.reference, buyer.actor],
    ]);
  });

  it('reports every failing line by index and writes nothing, even when the caller commits', async () => {
    const plenty = await makeProduct(db, { initialStock: 10 });
    const scarce = await makeProduct(db, { initialStock: 2 });
    const archived = await makeProduct(db, { initialStock: 10 });
    await archiveProduct(db, admin, archived.id);
    const unknown = randomUUID();

    // Committed on purpose: all-or-none must not depend on the caller rolling back.
    const result = await db.transaction().execute((trx) =>
      reserveStock(
        trx,
        [
          { productId: plenty.id, quantity: 4 },
          { productId: scarce.id, quantity: 2 },
          { productId: archived.id, quantity: 1 },
          { productId: unknown, quantity: 1 },
          { productId: plenty.id, quantity: 0 },
          { productId: 'not-a-uuid', quantity: 1 },
          { productId: scarce.id, quantity: 1 },
          { productId: plenty.id, quantity: 1.5 },
        ],
        order(),
      ),
    );

    expect(result).toEqual({
      ok: false,
      failures: [
        { index: 1, productId: scarce.id, code: 'INSUFFICIENT_STOCK', available: 2 },
        { index: 2, productId: archived.id, code: 'PRODUCT_ARCHIVED' },
        { index: 3, productId: unknown, code: 'PRODUCT_NOT_FOUND' },
        { index: 4, productId: plenty.id, code: 'INVALID_QUANTITY' },
        { index: 5, productId: 'not-a-uuid', code: 'PRODUCT_NOT_FOUND' },
        { index: 6, productId: scarce.id, code: 'INSUFFICIENT_STOCK', available: 2 },
        { index: 7, productId: plenty.id, code: 'INVALID_QUANTITY' },
      ],
    });
    expect(await stockOf(db, plenty.id)).toBe(10);
    expect(await stockOf(db, scarce.id)).toBe(2);
    expect(await ledgerOf(db, plenty.id)).toHaveLength(1);
    expect(await ledgerOf(db, scarce.id)).toHaveLength(1);
  });

  it('lets exactly as many of 200 concurrent single-unit orders through as there are units (50)', async () => {
    const product = await makeProduct(db, { initialStock: 50 });

    const results = await Promise.all(
      Array.from({ length: 200 }, () => reserveInTransaction([{ productId: product.id, quantity: 1 }])),
    );

    expect(results.filter((r) => r.ok)).toHaveLength(50);
    const refused = results.filter((r) => !r.ok);
    expect(refused).toHaveLength(150);
    expect(refused.every((r) => !r.ok && r.failures[0]?.code === 'INSUFFICIENT_STOCK')).toBe(true);
    expect(await stockOf(db, product.id)).toBe(0);
    const ledger = await ledgerOf(db, product.id);
    expect(ledger.filter((r) => r.reason === 'ORDER_RESERVED')).toHaveLength(50);
    expect(ledger.reduce((sum, r) => sum + r.delta, 0)).toBe(0);
    // Written under the row lock, stock_after counts down 49, 48, ... 0 with no repeats.
    expect(ledger.slice(1).map((r) => r.stock_after)).toEqual(Array.from({ length: 50 }, (_, i) => 49 - i));
  });

  it('runs multi-line orders over the same products in opposite orders concurrently without deadlocks', async () => {
    const products = await Promise.all([1, 2, 3, 4].map(() => makeProduct(db, { initialStock: 1000 })));
    const forward = products.map((p) => ({ productId: p.id, quantity: 1 }));
    const backward = [...forward].reverse();

    // No retries here: a deadlock (40P01) would reject its transaction.
    const settled = await Promise.allSettled(
      Array.from({ length: 120 }, (_, i) =>
        db.transaction().execute(async (trx) => {
          const result = await reserveStock(trx, i % 2 === 0 ? forward : backward, order());
          if (!result.ok) throw new Refused(result);
        }),
      ),
    );

    const errors = settled.flatMap((s) => (s.status === 'rejected' ? [sqlState(s.reason) ?? String(s.reason)] : []));
    expect(errors).toEqual([]);
    for (const p of products) expect(await stockOf(db, p.id)).toBe(880);
  });

  it('only accepts a transaction, and accepts one typed for another subgraph', async () => {
    const product = await makeProduct(db, { initialStock: 1 });
    await expect(reserveStock(db as never, [{ productId: product.id, quantity: 1 }], order())).rejects.toThrow(
      /needs a transaction/,
    );
    interface OtherDatabase {
      'orders.order': { id: string };
    }
    const result = await db.transaction().execute(async (trx) => {
      const theirs = trx as unknown as Transaction<OtherDatabase>;
      return reserveStock(theirs, [{ productId: product.id, quantity: 1 }], order());
    });
    expect(result.ok).toBe(true);
    expect(asInventoryTransaction(await db.transaction().execute(async (trx) => trx))).toBeDefined();
    await expect(
      db.transaction().execute((trx) => reserveStock(trx, [], { reference: ' ', actor: 'x' })),
    ).rejects.toThrow(/reference and actor/);
  });
});

describe('releaseStock', () => {
  it('gives back what an order reserved, once', async () => {
    const a = await makeProduct(db, { initialStock: 5 });
    const b = await makeProduct(db, { initialStock: 5 });
    const ref = order();
    const lines = [
      { productId: a.id, quantity: 2 },
      { productId: b.id, quantity: 1 },
    ];
    expect((await reserveInTransaction(lines, ref)).ok).toBe(true);

    // More than was reserved for one product: nothing is released.
    const tooMuch = await db.transaction().execute((trx) =>
      releaseStock(
        trx,
        [
          { productId: a.id, quantity: 3 },
          { productId: b.id, quantity: 1 },
        ],
        ref,
      ),
    );
    expect(tooMuch).toEqual({
      ok: false,
      failures: [{ index: 0, productId: a.id, code: 'NOT_RESERVED', available: 2 }],
    });
    expect([await stockOf(db, a.id), await stockOf(db, b.id)]).toEqual([3, 4]);

    expect(await db.transaction().execute((trx) => releaseStock(trx, lines, ref))).toEqual({ ok: true });
    expect([await stockOf(db, a.id), await stockOf(db, b.id)]).toEqual([5, 5]);
    expect((await ledgerOf(db, a.id)).map((r) => [r.reason, r.delta, r.stock_after, r.reference])).toEqual([
      ['INITIAL', 5, 5, null],
      ['ORDER_RESERVED', -2, 3, ref.reference],
      ['ORDER_RELEASED', 2, 5, ref.reference],
    ]);

    // A second cancellation of the same order cannot create stock.
    const again = await db.transaction().execute((trx) => releaseStock(trx, lines, ref));
    expect(again).toEqual({
      ok: false,
      failures: [
        { index: 0, productId: a.id, code: 'NOT_RESERVED', available: 0 },
        { index: 1, productId: b.id, code: 'NOT_RESERVED', available: 0 },
      ],
    });
    // Nor can another order's reference.
    const other = await db.transaction().execute((trx) => releaseStock(trx, [lines[0]!], order()));
    expect(other.ok).toBe(false);
    expect([await stockOf(db, a.id), await stockOf(db, b.id)]).toEqual([5, 5]);
  });

  it('returns units of a product archived since the order was placed', async () => {
    const product = await makeProduct(db, { initialStock: 2 });
    const ref = order();
    const lines = [{ productId: product.id, quantity: 2 }];
    expect((await reserveInTransaction(lines, ref)).ok).toBe(true);
    await archiveProduct(db, admin, product.id);
    expect(await db.transaction().execute((trx) => releaseStock(trx, lines, ref))).toEqual({ ok: true });
    expect(await stockOf(db, product.id)).toBe(2);
  });

  it('releases each of many concurrent cancellations of one order at most once', async () => {
    const product = await makeProduct(db, { initialStock: 10 });
    const ref = order();
    const lines = [{ productId: product.id, quantity: 4 }];
    expect((await reserveInTransaction(lines, ref)).ok).toBe(true);

    const results = await Promise.all(
      Array.from({ length: 10 }, () => db.transaction().execute((trx) => releaseStock(trx, lines, ref))),
    );

    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await stockOf(db, product.id)).toBe(10);
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
