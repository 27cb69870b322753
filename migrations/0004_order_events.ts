import { sql, type Kysely } from 'kysely';

/**
 * Order events (docs/events.md, ADR 0005):
 * - orders.order.version: the order's aggregate version, 1 when placed and
 *   incremented with every event written for it;
 * - orders.outbox_event: events written in the order's own transaction and
 *   published by the relay;
 * - in the customer schema, what its consumers keep: the inbox of processed
 *   event ids, the per-order projection and per-customer statistics, and
 *   customer-facing notifications.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table orders."order" add column version integer not null default 1 check (version >= 1)`.execute(db);

  await db.schema
    .withSchema('orders')
    .createTable('outbox_event')
    // Outbox order: the order events of one order commit in version order
    // (their transactions hold the order's row lock), so seq order is
    // per-order version order.
    .addColumn('seq', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('id', 'uuid', (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('aggregate_id', 'uuid', (c) => c.notNull())
    .addColumn('aggregate_version', 'integer', (c) => c.notNull().check(sql`aggregate_version >= 1`))
    .addColumn('occurred_at', 'timestamptz(3)', (c) => c.notNull())
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('published_at', 'timestamptz(3)')
    // Broker refusals (unroutable, nacked): counted, explained, and retried
    // no earlier than available_at.
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('available_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('outbox_event_aggregate_version_key', ['aggregate_id', 'aggregate_version'])
    .execute();
  await sql`create index outbox_event_unpublished_idx on orders.outbox_event (seq) where published_at is null`.execute(
    db,
  );
  await sql`create index outbox_event_published_at_idx on orders.outbox_event (published_at) where published_at is not null`.execute(
    db,
  );

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
  await db.schema.withSchema('orders').dropTable('outbox_event').ifExists().execute();
  await sql`alter table orders."order" drop column if exists version`.execute(db);
}
