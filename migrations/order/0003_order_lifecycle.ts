import { sql, type Kysely } from 'kysely';

/**
 * Order lifecycle: the shipping address snapshot, tracking, a status history,
 * idempotency keys for placeOrder, and indexes for every list filter.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .withSchema('orders')
    .alterTable('order')
    .addColumn('shipping_address', 'jsonb')
    .addColumn('carrier', 'text')
    .addColumn('tracking_number', 'text')
    .addColumn('cancel_reason', 'text')
    .execute();

  await db.schema
    .withSchema('orders')
    .createTable('order_status_history')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('order_id', 'uuid', (c) => c.notNull().references('orders.order.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'uuid', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index order_status_history_order_idx on orders.order_status_history (order_id, id)`.execute(db);

  // Scoped to the caller: two customers may use the same key.
  await db.schema
    .withSchema('orders')
    .createTable('idempotency_key')
    .addColumn('caller_id', 'uuid', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    // Set in the same transaction that claimed the key; null only while it runs.
    .addColumn('order_id', 'uuid', (c) => c.references('orders.order.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('idempotency_key_pkey', ['caller_id', 'key'])
    .execute();
  await sql`create index idempotency_key_created_at_idx on orders.idempotency_key (created_at)`.execute(db);

  // One index per list filter, each ending in the (placed_at desc, id desc) sort.
  await sql`create index order_status_placed_at_id_idx on orders."order" (status, placed_at desc, id desc)`.execute(db);
  await sql`create index order_customer_status_placed_at_id_idx on orders."order" (customer_id, status, placed_at desc, id desc)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index orders.order_customer_status_placed_at_id_idx`.execute(db);
  await sql`drop index orders.order_status_placed_at_id_idx`.execute(db);
  await db.schema.withSchema('orders').dropTable('idempotency_key').execute();
  await db.schema.withSchema('orders').dropTable('order_status_history').execute();
  await db.schema
    .withSchema('orders')
    .alterTable('order')
    .dropColumn('shipping_address')
    .dropColumn('carrier')
    .dropColumn('tracking_number')
    .dropColumn('cancel_reason')
    .execute();
}
