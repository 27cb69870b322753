import { sql, type Kysely } from 'kysely';

/*
 * The order subgraph's orders and lines. The `orders` schema itself is
 * created by the migrator (the history table lives in it) or by `pnpm
 * db:provision`. Customers and products belong to other subgraphs: they are
 * referenced by id, never by a foreign key.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .withSchema('orders')
    .createTable('order')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('customer_id', 'uuid', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED')`),
    )
    .addColumn('currency', 'char(3)', (c) => c.notNull())
    .addColumn('total_minor', 'int8', (c) => c.notNull().check(sql`total_minor >= 0`))
    .addColumn('placed_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index order_placed_at_id_idx on orders."order" (placed_at desc, id desc)`.execute(db);
  await sql`create index order_customer_placed_at_id_idx on orders."order" (customer_id, placed_at desc, id desc)`.execute(
    db,
  );

  await db.schema
    .withSchema('orders')
    .createTable('order_line')
    .addColumn('order_id', 'uuid', (c) => c.notNull().references('orders.order.id').onDelete('cascade'))
    .addColumn('line_no', 'integer', (c) => c.notNull())
    .addColumn('product_id', 'uuid', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
    .addColumn('unit_price_minor', 'int8', (c) => c.notNull().check(sql`unit_price_minor >= 0`))
    .addPrimaryKeyConstraint('order_line_pkey', ['order_id', 'line_no'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('orders').dropTable('order_line').execute();
  await db.schema.withSchema('orders').dropTable('order').execute();
}
