import { sql, type Kysely } from 'kysely';

/**
 * The catalog's search and sort indexes and the stock ledger.
 *
 * - Full-text search uses Postgres' built-in text search (a stored, generated
 *   `tsvector` over name and description, GIN-indexed) rather than pg_trgm:
 *   it needs no extension, so the same SQL runs on Postgres and on PGlite.
 * - Each catalog sort is a keyset over (key, id) with an index of the same
 *   shape, so a page a thousand pages deep costs what the first one does.
 * - Every stock change is a row in `inventory.stock_ledger`; the ledger of a
 *   product sums to its `stock`. Rows are written in the transaction that
 *   changes the stock.
 */

/** The catalog sorts' keyset indexes: (key, id), in the direction the sort reads them. */
const SORT_INDEXES = [
  ['name_id', 'name, id'],
  ['price_id', 'price_minor, id'],
  ['created_at_id', 'created_at desc, id desc'],
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  // Name words weigh more than description words, should ranking ever be added.
  await sql`
    alter table inventory.product add column search tsvector generated always as (
      setweight(to_tsvector('english', name), 'A') || setweight(to_tsvector('english', description), 'B')
    ) stored`.execute(db);
  await sql`create index product_search_idx on inventory.product using gin (search)`.execute(db);
  // Each sort twice: partial indexes over active products for the public
  // catalog, so archived products never have to be read and skipped, and
  // full ones for admins listing archived products too. Stock changes do not
  // touch these columns, so they stay HOT updates whatever the index count.
  for (const [name, columns] of SORT_INDEXES) {
    await sql`create index ${sql.id(`product_active_${name}_idx`)} on inventory.product (${sql.raw(columns)}) where active`.execute(
      db,
    );
    await sql`create index ${sql.id(`product_${name}_idx`)} on inventory.product (${sql.raw(columns)})`.execute(db);
  }

  await db.schema
    .withSchema('inventory')
    .createTable('stock_ledger')
    // A sequence, not a UUID: ids increase with insertion, so history reads newest first by id alone.
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('product_id', 'uuid', (c) => c.notNull().references('inventory.product.id'))
    .addColumn('delta', 'integer', (c) => c.notNull().check(sql`delta <> 0`))
    .addColumn('reason', 'text', (c) =>
      c.notNull().check(sql`reason in ('INITIAL', 'ADJUSTMENT', 'SET', 'ORDER_RESERVED', 'ORDER_RELEASED')`),
    )
    // What the change belongs to, e.g. the order id of a reservation.
    .addColumn('reference', 'text')
    // Who made the change: an admin's customer id, or what the calling module names.
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('stock_after', 'integer', (c) => c.notNull().check(sql`stock_after >= 0`))
    .addColumn('created_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index stock_ledger_product_id_idx on inventory.stock_ledger (product_id, id desc)`.execute(db);
  // Releasing an order's stock checks what that order reserved.
  await sql`create index stock_ledger_reference_idx on inventory.stock_ledger (reference, product_id) where reference is not null`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('inventory').dropTable('stock_ledger').execute();
  for (const [name] of SORT_INDEXES) {
    await sql`drop index ${sql.id('inventory', `product_active_${name}_idx`)}`.execute(db);
    await sql`drop index ${sql.id('inventory', `product_${name}_idx`)}`.execute(db);
  }
  await sql`drop index inventory.product_search_idx`.execute(db);
  await sql`alter table inventory.product drop column search`.execute(db);
}
