import { sql, type Kysely } from 'kysely';

/**
 * The notification dispatch outbox: one row per notification still to be
 * handed to the sender, written in the transaction that creates the
 * notification and deleted once the sender accepted it (ADR: dependency
 * faults). Notifications that existed before this table were already handed
 * over and get no row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .withSchema('customer')
    .createTable('notification_dispatch')
    .addColumn('notification_id', 'uuid', (c) =>
      c.primaryKey().references('customer.notification.id').onDelete('cascade'),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('available_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('created_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index notification_dispatch_available_idx on customer.notification_dispatch (available_at)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('customer').dropTable('notification_dispatch').ifExists().execute();
}
