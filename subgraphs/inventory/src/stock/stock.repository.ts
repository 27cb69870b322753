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
