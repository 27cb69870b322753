import { sql, type Kysely } from 'kysely';

/**
 * Order events (docs/events.md, ADR 0005):
 * - orders.order.version: the order's aggregate version, 1 when placed and
 *   incremented with every event written for it;
 * - orders.outbox_event: events written in the order's own transaction and
 *   published by the relay.
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
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('orders').dropTable('outbox_event').ifExists().execute();
  await sql`alter table orders."order" drop column if exists version`.execute(db);
}
