import { sql, type Kysely } from 'kysely';

/**
 * Stock reservations (docs/adr/0014): what the reservation API holds for each
 * order, and the ledger reasons of a reservation's life. A confirmation is a
 * ledger row of zero units: it records the step, the stock already moved.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .withSchema('inventory')
    .createTable('reservation')
    // Reservations are idempotent by order id: the key of the order in the order subgraph.
    .addColumn('order_id', 'uuid', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('RESERVED', 'CONFIRMED', 'RELEASED', 'EXPIRED')`),
    )
    // Who the stock is for (the buyer), and which service asked.
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('caller', 'text', (c) => c.notNull())
    // SHA-256 of the reserved lines; null for a release that came before any reserve.
    .addColumn('request_hash', 'text')
    .addColumn('expires_at', 'timestamptz(3)')
    .addColumn('created_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The sweeper's queue: reservations still holding stock, by expiry.
  await sql`create index reservation_expiry_idx on inventory.reservation (expires_at) where status = 'RESERVED'`.execute(
    db,
  );

  await db.schema
    .withSchema('inventory')
    .createTable('reservation_line')
    .addColumn('order_id', 'uuid', (c) => c.notNull().references('inventory.reservation.order_id').onDelete('cascade'))
    // Position in the reserve request, from 0: answers list the lines in request order.
    .addColumn('line_no', 'integer', (c) => c.notNull())
    .addColumn('product_id', 'uuid', (c) => c.notNull().references('inventory.product.id'))
    .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
    // The price snapshot the order keeps.
    .addColumn('unit_price_minor', 'int8', (c) => c.notNull().check(sql`unit_price_minor >= 0`))
    .addColumn('currency', 'char(3)', (c) => c.notNull())
    .addPrimaryKeyConstraint('reservation_line_pkey', ['order_id', 'line_no'])
    .execute();

  await sql`alter table inventory.stock_ledger drop constraint stock_ledger_reason_check`.execute(db);
  await sql`alter table inventory.stock_ledger add constraint stock_ledger_reason_check check (reason in
    ('INITIAL', 'ADJUSTMENT', 'SET', 'ORDER_RESERVED', 'ORDER_CONFIRMED', 'ORDER_RELEASED', 'ORDER_EXPIRED'))`.execute(
    db,
  );

  // Orders placed before reservations existed took their stock in the order's
  // own transaction: their ledger rows become reservations, CONFIRMED while
  // the units are still out and RELEASED once a cancellation gave them back,
  // so cancelling such an order now releases its stock exactly once. (The
  // price snapshot of their lines is the product's price today: the order
  // keeps the price it was sold at.)
  await sql`
    insert into inventory.reservation (order_id, status, actor, caller, request_hash, created_at, updated_at)
    select reference::uuid,
           case when sum(delta) < 0 then 'CONFIRMED' else 'RELEASED' end,
           min(actor) filter (where reason = 'ORDER_RESERVED'), 'order', 'legacy', min(created_at), max(created_at)
      from inventory.stock_ledger
     where reason in ('ORDER_RESERVED', 'ORDER_RELEASED')
       and reference ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
     group by reference
    having count(*) filter (where reason = 'ORDER_RESERVED') > 0`.execute(db);
  await sql`
    insert into inventory.reservation_line (order_id, line_no, product_id, quantity, unit_price_minor, currency)
    select l.reference::uuid, (row_number() over (partition by l.reference order by l.product_id) - 1)::int,
           l.product_id, -sum(l.delta)::int, p.price_minor, p.currency
      from inventory.stock_ledger l join inventory.product p on p.id = l.product_id
     where l.reason = 'ORDER_RESERVED' and l.reference::text in (select order_id::text from inventory.reservation)
     group by l.reference, l.product_id, p.price_minor, p.currency`.execute(db);
  await sql`alter table inventory.stock_ledger drop constraint stock_ledger_delta_check`.execute(db);
  await sql`alter table inventory.stock_ledger add constraint stock_ledger_delta_check
    check (delta <> 0 or reason = 'ORDER_CONFIRMED')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from inventory.stock_ledger where reason in ('ORDER_CONFIRMED', 'ORDER_EXPIRED')`.execute(db);
  await sql`alter table inventory.stock_ledger drop constraint stock_ledger_delta_check`.execute(db);
  await sql`alter table inventory.stock_ledger add constraint stock_ledger_delta_check check (delta <> 0)`.execute(db);
  await sql`alter table inventory.stock_ledger drop constraint stock_ledger_reason_check`.execute(db);
  await sql`alter table inventory.stock_ledger add constraint stock_ledger_reason_check check (reason in
    ('INITIAL', 'ADJUSTMENT', 'SET', 'ORDER_RESERVED', 'ORDER_RELEASED'))`.execute(db);
  await db.schema.withSchema('inventory').dropTable('reservation_line').execute();
  await db.schema.withSchema('inventory').dropTable('reservation').execute();
}
