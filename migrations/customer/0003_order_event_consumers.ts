import { sql, type Kysely } from 'kysely';

/**
 * What the order event consumers keep (docs/events.md, ADR 0005): the inbox of
 * processed event ids, the per-order projection and per-customer statistics,
 * and customer-facing notifications.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .withSchema('customer')
    .createTable('event_inbox')
    .addColumn('consumer', 'text', (c) => c.notNull())
    .addColumn('event_id', 'uuid', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('aggregate_id', 'uuid', (c) => c.notNull())
    .addColumn('aggregate_version', 'integer', (c) => c.notNull())
    // Processing order, for diagnosing what a consumer saw and when.
    .addColumn('seq', 'bigint', (c) => c.notNull().generatedAlwaysAsIdentity())
    .addColumn('processed_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('event_inbox_pkey', ['consumer', 'event_id'])
    .execute();
  await sql`create index event_inbox_processed_at_idx on customer.event_inbox (processed_at)`.execute(db);

  await db.schema
    .withSchema('customer')
    .createTable('order_summary')
    .addColumn('order_id', 'uuid', (c) => c.primaryKey())
    .addColumn('customer_id', 'uuid', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('currency', 'char(3)', (c) => c.notNull())
    .addColumn('total_minor', 'int8', (c) => c.notNull())
    .addColumn('placed_at', 'timestamptz(3)', (c) => c.notNull())
    .execute();

  await db.schema
    .withSchema('customer')
    .createTable('order_stats')
    .addColumn('customer_id', 'uuid', (c) => c.notNull())
    .addColumn('currency', 'char(3)', (c) => c.notNull())
    .addColumn('order_count', 'integer', (c) => c.notNull().check(sql`order_count >= 0`))
    .addColumn('total_spent_minor', 'int8', (c) => c.notNull().check(sql`total_spent_minor >= 0`))
    .addColumn('last_order_at', 'timestamptz(3)', (c) => c.notNull())
    .addPrimaryKeyConstraint('order_stats_pkey', ['customer_id', 'currency'])
    .execute();

  await db.schema
    .withSchema('customer')
    .createTable('notification')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('customer_id', 'uuid', (c) => c.notNull())
    .addColumn('event_id', 'uuid', (c) => c.notNull())
    .addColumn('order_id', 'uuid', (c) => c.notNull())
    .addColumn('kind', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`kind in ('ORDER_CONFIRMED', 'PAYMENT_RECEIVED', 'ORDER_SHIPPED', 'ORDER_DELIVERED', 'ORDER_CANCELLED', 'ORDER_UPDATED')`,
        ),
    )
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('tracking_carrier', 'text')
    .addColumn('tracking_number', 'text')
    .addColumn('occurred_at', 'timestamptz(3)', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index notification_customer_idx on customer.notification (customer_id, occurred_at desc, id desc)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('customer').dropTable('notification').ifExists().execute();
  await db.schema.withSchema('customer').dropTable('order_stats').ifExists().execute();
  await db.schema.withSchema('customer').dropTable('order_summary').ifExists().execute();
  await db.schema.withSchema('customer').dropTable('event_inbox').ifExists().execute();
}
