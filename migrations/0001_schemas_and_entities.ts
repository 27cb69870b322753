import { sql, type Kysely } from 'kysely';

/**
 * One Postgres schema per subgraph and the core entity tables: customers,
 * products, orders and order lines. Money is int8 minor units. Timestamps
 * keep millisecond precision, the precision of a JS Date, so keyset cursors
 * built from them round-trip exactly.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createSchema('customer').ifNotExists().execute();
  await db.schema.createSchema('inventory').ifNotExists().execute();
  await db.schema.createSchema('orders').ifNotExists().execute();

  await db.schema
    .withSchema('customer')
    .createTable('customer')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) =>
      c
        .notNull()
        .defaultTo('CUSTOMER')
        .check(sql`role in ('CUSTOMER', 'ADMIN')`),
    )
    .addColumn('password_hash', 'text')
    .addColumn('created_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Emails are unique case-insensitively; the service stores them normalised.
  await sql`create unique index customer_email_key on customer.customer (lower(email))`.execute(db);
  await sql`create index customer_created_at_id_idx on customer.customer (created_at desc, id desc)`.execute(db);

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

  await db.schema
    .withSchema('orders')
    .createTable('order')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    // Customers live in another subgraph's schema: no foreign key across schemas.
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
  await db.schema.dropSchema('orders').ifExists().cascade().execute();
  await db.schema.dropSchema('inventory').ifExists().cascade().execute();
  await db.schema.dropSchema('customer').ifExists().cascade().execute();
}
