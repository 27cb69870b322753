import type { InventoryDb } from '../database.js';
import type { ProductRow } from './product.table.js';

/** Products by id, in no particular order; unknown ids are simply absent. */
export async function findProductsByIds(db: InventoryDb, ids: readonly string[]): Promise<ProductRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('inventory.product').selectAll().where('id', 'in', ids).execute();
}

export interface ProductPageQuery {
  limit: number;
  /** Keyset position: (created_at, id) of the last row of the previous page. */
  after?: { createdAt: Date; id: string } | undefined;
}

/** One page of active products, newest first, fetched with one extra row to detect a next page. */
export async function listActiveProducts(db: InventoryDb, query: ProductPageQuery): Promise<ProductRow[]> {
  let q = db.selectFrom('inventory.product').selectAll().where('active', '=', true);
  if (query.after) {
    const { createdAt, id } = query.after;
    // Row comparison: (a, b) < (x, y) walks the (created_at desc, id desc) index.
    q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(createdAt, id)));
  }
  return q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
}
