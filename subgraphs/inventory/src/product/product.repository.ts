import { sql, type ExpressionBuilder, type Expression, type SqlBool } from 'kysely';
import type { InventoryDatabase, InventoryDb } from '../database.js';
import { productColumns, type NewProductRow, type ProductRow, type ProductUpdate } from './product.table.js';

/** Products by id, in no particular order; unknown ids are simply absent. */
export async function findProductsByIds(db: InventoryDb, ids: readonly string[]): Promise<ProductRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('inventory.product').select(productColumns).where('id', 'in', ids).execute();
}

/** The product with exactly this SKU, if any. */
export async function findProductBySku(db: InventoryDb, sku: string): Promise<ProductRow | undefined> {
  return db.selectFrom('inventory.product').select(productColumns).where('sku', '=', sku).executeTakeFirst();
}

/**
 * Locks the given products (`select ... for update`) in id order and returns
 * them. Every writer of `stock` locks through here, so concurrent writers
 * queue on the same rows in the same order and cannot deadlock each other.
 */
export async function lockProducts(db: InventoryDb, ids: readonly string[]): Promise<ProductRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('inventory.product')
    .select(productColumns)
    .where('id', 'in', ids)
    .orderBy('id')
    .forUpdate()
    .execute();
}

/** Conditions on the catalog; absent ones do not restrict. */
export interface ProductCriteria {
  /** A web-search style query (`websearch_to_tsquery`) over name and description. */
  search?: string | undefined;
  minPriceMinor?: number | undefined;
  maxPriceMinor?: number | undefined;
  inStockOnly: boolean;
  activeOnly: boolean;
}

function matches(eb: ExpressionBuilder<InventoryDatabase, 'inventory.product'>, c: ProductCriteria) {
  const conditions: Expression<SqlBool>[] = [];
  // A bare `active` (not `active = $1`) so the planner can always prove the partial sort indexes apply.
  if (c.activeOnly) conditions.push(sql<SqlBool>`${eb.ref('active')}`);
  if (c.inStockOnly) conditions.push(eb('stock', '>', 0));
  if (c.minPriceMinor !== undefined) conditions.push(eb('price_minor', '>=', c.minPriceMinor));
  if (c.maxPriceMinor !== undefined) conditions.push(eb('price_minor', '<=', c.maxPriceMinor));
  if (c.search !== undefined) {
    // The same expression as the generated column's configuration, so the GIN index applies.
    conditions.push(sql<SqlBool>`${eb.ref('search')} @@ websearch_to_tsquery('english', ${c.search})`);
  }
  return eb.and(conditions);
}

/** A keyset order over (key, id), both in one direction; every catalog sort has an index of this shape. */
export interface ProductOrder {
  column: 'name' | 'price_minor' | 'created_at';
  direction: 'asc' | 'desc';
}

export interface ProductListQuery {
  criteria: ProductCriteria;
  order: ProductOrder;
  limit: number;
  /** Keyset position: (key, id) of the last row of the previous page. */
  after?: readonly [key: string | number | Date, id: string] | undefined;
}

/** One page of matching products, fetched with one extra row to detect a next page. */
export async function listProducts(db: InventoryDb, query: ProductListQuery): Promise<ProductRow[]> {
  const { column, direction } = query.order;
  let q = db
    .selectFrom('inventory.product')
    .select(productColumns)
    .where((eb) => matches(eb, query.criteria));
  if (query.after) {
    const [key, id] = query.after;
    // Row comparison: (key, id) > (x, y) walks the (key, id) index from the cursor on.
    q = q.where((eb) => eb(eb.refTuple(column, 'id'), direction === 'asc' ? '>' : '<', eb.tuple(key as never, id)));
  }
  return q
    .orderBy(column, direction)
    .orderBy('id', direction)
    .limit(query.limit + 1)
    .execute();
}

/** How many products match, over all pages. */
export async function countProducts(db: InventoryDb, criteria: ProductCriteria): Promise<number> {
  const { count } = await db
    .selectFrom('inventory.product')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where((eb) => matches(eb, criteria))
    .executeTakeFirstOrThrow();
  return count;
}

export async function insertProduct(db: InventoryDb, row: NewProductRow): Promise<ProductRow> {
  return db.insertInto('inventory.product').values(row).returning(productColumns).executeTakeFirstOrThrow();
}

/** Applies `changes` and stamps `updated_at`; undefined when there is no such product. */
export async function updateProduct(
  db: InventoryDb,
  id: string,
  changes: Omit<ProductUpdate, 'id' | 'stock' | 'created_at' | 'updated_at'>,
): Promise<ProductRow | undefined> {
  return db
    .updateTable('inventory.product')
    .set({ ...changes, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returning(productColumns)
    .executeTakeFirst();
}

/**
 * Sets the stock of a product locked with {@link lockProducts}. Only the
 * stock module calls this, next to the ledger row that explains the change.
 */
export async function setProductStock(db: InventoryDb, id: string, stock: number): Promise<ProductRow> {
  return db
    .updateTable('inventory.product')
    .set({ stock })
    .where('id', '=', id)
    .returning(productColumns)
    .executeTakeFirstOrThrow();
}

/**
 * Sets the stock of several products locked with {@link lockProducts} in one
 * statement (one round trip for a whole order); rows come back in the order
 * of `changes`.
 */
export async function setProductStocks(
  db: InventoryDb,
  changes: readonly { id: string; stock: number }[],
): Promise<ProductRow[]> {
  if (changes.length <= 1) return Promise.all(changes.map((c) => setProductStock(db, c.id, c.stock)));
  const values = sql.join(changes.map((c) => sql`(${c.id}::uuid, ${c.stock}::int)`));
  const columns = sql.join(productColumns.map((column) => sql.ref(`p.${column}`)));
  const { rows } = await sql<ProductRow>`
    update inventory.product as p set stock = v.stock
    from (values ${values}) as v (id, stock)
    where p.id = v.id
    returning ${columns}`.execute(db);
  const byId = new Map(rows.map((row) => [row.id, row]));
  return changes.map((c) => {
    const row = byId.get(c.id);
    if (!row) throw new Error(`product ${c.id} vanished while locked`);
    return row;
  });
}
