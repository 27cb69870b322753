import type { InventoryDb } from '../database.js';
import type { NewStockMovementRow, StockMovementRow } from './stock.table.js';

/** Appends rows to the stock ledger, in the given order. */
export async function insertMovements(db: InventoryDb, rows: NewStockMovementRow[]): Promise<StockMovementRow[]> {
  if (rows.length === 0) return [];
  return db.insertInto('inventory.stock_ledger').values(rows).returningAll().execute();
}

/** One page of a product's ledger, newest first, fetched with one extra row to detect a next page. */
export async function listMovements(
  db: InventoryDb,
  productId: string,
  page: { limit: number; afterId?: number | undefined },
): Promise<StockMovementRow[]> {
  let q = db.selectFrom('inventory.stock_ledger').selectAll().where('product_id', '=', productId);
  if (page.afterId !== undefined) q = q.where('id', '<', page.afterId);
  return q
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute();
}

/**
 * Units still reserved under `reference` per product: what its reservations
 * took minus what its releases gave back. Products without any are absent.
 */
export async function outstandingReservations(
  db: InventoryDb,
  reference: string,
  productIds: readonly string[],
): Promise<Map<string, number>> {
  if (productIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('inventory.stock_ledger')
    .select((eb) => ['product_id', eb.fn.sum<number>('delta').as('net')])
    .where('reference', '=', reference)
    .where('product_id', 'in', productIds)
    .where('reason', 'in', ['ORDER_RESERVED', 'ORDER_RELEASED'])
    .groupBy('product_id')
    .execute();
  return new Map(rows.map((row) => [row.product_id, 0 - Number(row.net)]));
}
