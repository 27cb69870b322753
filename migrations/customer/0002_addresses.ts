import { sql, type Kysely } from 'kysely';

/**
 * Customer addresses, with at most one default shipping address per customer,
 * and a non-null password hash for every account that can log in.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .withSchema('customer')
    .createTable('address')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('customer_id', 'uuid', (c) => c.notNull().references('customer.customer.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('line1', 'text', (c) => c.notNull())
    .addColumn('line2', 'text')
    .addColumn('city', 'text', (c) => c.notNull())
    .addColumn('region', 'text')
    .addColumn('postal_code', 'text', (c) => c.notNull())
    .addColumn('country_code', 'char(2)', (c) => c.notNull())
    .addColumn('is_default_shipping', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index address_customer_idx on customer.address (customer_id, created_at, id)`.execute(db);
  await sql`create unique index address_one_default_shipping on customer.address (customer_id) where is_default_shipping`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('customer').dropTable('address').execute();
}
