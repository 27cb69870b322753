import { sql, type Kysely } from 'kysely';

/**
 * Login attempt counters shared by every customer replica: one row per
 * throttled key (an email address's hash, a client address's hash).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .withSchema('customer')
    .createTable('login_throttle')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_attempt_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('blocked_until', 'timestamptz(3)')
    .execute();
  await sql`create index login_throttle_last_attempt_at_idx on customer.login_throttle (last_attempt_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('customer').dropTable('login_throttle').execute();
}
