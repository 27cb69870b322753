/**
 * Order list pages at depth: seeds 1,000,000 orders into a fresh database
 * and compares the latency of the first page with a page 1,000 pages deep
 * (walked there with real cursors) for each filter the API offers.
 *
 *   pnpm bench:orders-pagination            (ORDERS=1000000 by default)
 *
 * Prints median and p95 per page and the deep/first ratio; keyset pagination
 * should keep the ratio near 1.
 */
import { createDatabase } from '@shopgraph/lib';
import type { OrderDatabase } from '@shopgraph/order';
import { orderPage } from '@shopgraph/order';
import { listOrdersWithOffset as listOrders } from './support/offset-orders.js';
import { sql } from 'kysely';
import { createTestDatabase } from '../test/support/database.js';
import { fmt, interleaved, log, percentile } from './support/timing.js';

const ORDERS = Number(process.env.ORDERS ?? 1_000_000);
const PAGE = 50;
const DEPTH_PAGES = 1000;
const ROUNDS = Number(process.env.ROUNDS ?? 100);

const database = await createTestDatabase();
const db = createDatabase<OrderDatabase>({ databaseUrl: database.url, poolSize: 2 });
try {
  log(`seeding ${ORDERS.toLocaleString('en')} orders…`);
  const seedStart = Date.now();
  await sql`
    insert into orders."order" (id, customer_id, status, currency, total_minor, placed_at, updated_at)
    select gen_random_uuid(),
           c.ids[1 + ((i / 5) % 1000)],
           (array['PENDING','PAID','SHIPPED','DELIVERED','CANCELLED'])[1 + (i % 5)],
           'USD', 1000 + i % 5000,
           now() - make_interval(secs => i * 0.7),
           now()
    from generate_series(1, ${ORDERS}::int) as i,
         (select array_agg(gen_random_uuid()) as ids from generate_series(1, 1000)) as c`.execute(db);
  await sql`analyze orders."order"`.execute(db);
  log(`seeded in ${fmt((Date.now() - seedStart) / 1000, 1)} s`);

  const someCustomer = (await db.selectFrom('orders.order').select('customer_id').limit(1).executeTakeFirstOrThrow())
    .customer_id;
  const scenarios = [
    { name: 'all orders', args: {} },
    { name: 'status = PAID', args: { status: 'PAID' as const } },
    { name: 'one customer', args: { customerId: someCustomer } },
    { name: 'one customer, status = PAID', args: { customerId: someCustomer, status: 'PAID' as const } },
    {
      name: 'placed in a 7-day window',
      args: {
        placedAfter: new Date(Date.now() - 14 * 86_400_000),
        placedBefore: new Date(Date.now() - 7 * 86_400_000),
      },
    },
  ];

  log('');
  log(
    `page size ${PAGE}; deep page = page ${DEPTH_PAGES + 1} or the last page if the list is shorter; ${ROUNDS} rounds`,
  );
  log(
    'scenario                          | depth (rows) | first median / p95 ms | deep median / p95 ms | deep/first (median) | OFFSET deep median ms',
  );
  for (const scenario of scenarios) {
    // Walk to the deep page with real cursors, as a client would.
    let after: string | null = null;
    let depth = 0;
    for (let page = 0; page < DEPTH_PAGES; page++) {
      const conn = await orderPage(db, { ...scenario.args, first: PAGE, after });
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
      depth += conn.edges.length;
    }
    const deepAfter = after;
    const { a: first, b: deep } = await interleaved(
      ROUNDS,
      () => orderPage(db, { ...scenario.args, first: PAGE }),
      () => orderPage(db, { ...scenario.args, first: PAGE, after: deepAfter }),
    );
    const ratio = percentile(deep, 50) / percentile(first, 50);
    // For contrast: the same deep page with OFFSET, which reads and discards every row before it.
    const offset = await interleaved(
      Math.min(ROUNDS, 20),
      () => Promise.resolve(),
      () => listOrders(db, { ...scenario.args, limit: PAGE, offset: depth }),
    );
    log(
      `${scenario.name.padEnd(33)} | ${String(depth).padStart(12)} | ${fmt(percentile(first, 50)).padStart(9)} / ${fmt(percentile(first, 95)).padEnd(9)} | ${fmt(percentile(deep, 50)).padStart(8)} / ${fmt(percentile(deep, 95)).padEnd(9)} | ${fmt(ratio).padStart(19)} | ${fmt(percentile(offset.b, 50))}`,
    );
  }
} finally {
  await db.destroy();
  await database.drop();
}
