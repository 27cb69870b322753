import { sql, type Kysely } from 'kysely';

/*
 * The inventory subgraph's catalog: products and their stock on hand. The
 * `inventory` schema itself is created by the migrator (the history table
 * lives in it) or by `pnpm db:provision`. Money is int8 minor units.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .withSchema('inventory')
    .createTable('product')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('sku', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('price_minor', 'int8', (c) => c.notNull().check(sql`price_minor >= 0`))
    .addColumn('currency', 'char(3)', (c) => c.notNull().defaultTo('USD'))
    .addColumn('image_url', 'text')
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('stock', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(0)
        .check(sql`stock >= 0`),
    )
    .addColumn('created_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('inventory').dropTable('product').execute();
}
