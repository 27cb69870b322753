import { sql, type Kysely } from 'kysely';

/**
 * Placing an order across services (docs/adr/0014):
 * - orders.reservation_call, the outbox of calls to inventory's reservation
 *   API: a CONFIRM written with each new order, a RELEASE with each
 *   cancellation, delivered at least once, with back-off, until inventory
 *   answers;
 * - a lease on each idempotency key while its request is being placed, so
 *   retries of it wait without a transaction held open across service calls.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .withSchema('orders')
    .alterTable('idempotency_key')
    // Who is placing the order for this key, and until when; null once the order exists.
    .addColumn('lease_id', 'uuid')
    .addColumn('locked_until', 'timestamptz(3)')
    .execute();

  await db.schema
    .withSchema('orders')
    .createTable('reservation_call')
    .addColumn('order_id', 'uuid', (c) => c.notNull().references('orders.order.id').onDelete('cascade'))
    .addColumn('action', 'text', (c) => c.notNull().check(sql`action in ('CONFIRM', 'RELEASE')`))
    // Who the call is made for (kept in inventory's stock ledger).
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    // Due time; also the lease of a dispatcher that is delivering it.
    .addColumn('next_attempt_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_error', 'text')
    // Set when no retry can help and a person must look (docs/adr/0014).
    .addColumn('parked_at', 'timestamptz(3)')
    .addColumn('created_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('reservation_call_pkey', ['order_id', 'action'])
    .execute();
  await sql`create index reservation_call_due_idx on orders.reservation_call (next_attempt_at) where parked_at is null`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('orders').dropTable('reservation_call').execute();
  await db.schema.withSchema('orders').alterTable('idempotency_key').dropColumn('lease_id').execute();
  await db.schema.withSchema('orders').alterTable('idempotency_key').dropColumn('locked_until').execute();
}
