import { sql, type Kysely } from 'kysely';

/*
 * The customer subgraph's accounts. The `customer` schema itself is created by
 * the migrator (the history table lives in it) or by `pnpm db:provision`.
 * Timestamps keep millisecond precision, the precision of a JS Date, so keyset
 * cursors built from them round-trip exactly.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
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
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('customer').dropTable('customer').execute();
}
