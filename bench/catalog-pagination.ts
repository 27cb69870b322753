/**
 * Catalog page latency at 100,000 products: the first page against a page
 * 1,000 pages deep, for every sort, through the catalog service (cursor
 * decoding, SQL, row mapping) on real Postgres. With keyset cursors the deep
 * page should cost about what the first one does; an OFFSET query of the
 * same page is timed alongside for contrast.
 *
 *   pnpm bench:catalog            (TEST_DATABASE_URL picks the server, as for the tests)
 *   BENCH_PRODUCTS=20000 BENCH_RUNS=100 pnpm bench:catalog
 *
 * It creates its own uniquely named database and drops it at the end. The
 * figures are printed, never asserted: this is not a timed test.
 */
import { performance } from 'node:perf_hooks';
import { createDatabase } from '@shopgraph/lib';
import { sql, type Kysely } from 'kysely';
import type { InventoryDatabase } from '../subgraphs/inventory/src/database.js';
import type { ProductSortKey } from '../subgraphs/inventory/src/generated/graphql.js';
import { productPage, type ProductPageArgs } from '../subgraphs/inventory/src/product/catalog.service.js';
import { productColumns } from '../subgraphs/inventory/src/product/product.table.js';
import { createTestDatabase } from '../test/support/database.js';

const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 100_000);
const PAGE_SIZE = 20;
const DEPTH = 1000; // pages to skip: the deep page starts at row DEPTH * PAGE_SIZE
const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const WARMUP = 20;

const out = (line = '') => process.stdout.write(`${line}\n`);

/** 100k products in a few set-based statements, with ties on every sort key, and their INITIAL ledger rows. */
async function seed(db: Kysely<InventoryDatabase>): Promise<void> {
  await sql`
    insert into inventory.product (sku, name, description, price_minor, stock, active, created_at)
    select
      'BENCH-' || g,
      (array['Anchor','Basket','Candle','Dish','Easel','Frame','Globe','Hammock','Inkwell','Jug'])[1 + g % 10]
        || ' ' || (array['alder','birch','cedar','delft','ember','flint','grove','heath','iris','juniper'])[1 + (g / 10) % 10]
        || ' ' || (g % 500),
      'A ' || (array['stoneware','enamel','brass','linen','walnut'])[1 + g % 5] || ' piece, batch ' || (g % 977),
      (g * 7919) % 50000,
      g % 25,
      g % 50 <> 0,
      timestamptz '2026-01-01' + (g % 40000) * interval '1 second'
    from generate_series(1, ${PRODUCTS}) as g`.execute(db);
  await sql`
    insert into inventory.stock_ledger (product_id, delta, reason, actor, stock_after)
    select id, stock, 'INITIAL', 'bench', stock from inventory.product where stock > 0`.execute(db);
  await sql`analyze inventory.product`.execute(db);
  await sql`analyze inventory.stock_ledger`.execute(db);
}

async function time(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

interface Scenario {
  label: string;
  args: Omit<ProductPageArgs, 'first' | 'after'>;
  /** The same page with OFFSET, for contrast. */
  offsetOrder: [column: 'name' | 'price_minor' | 'created_at', direction: 'asc' | 'desc'];
  where?: (q: any) => any;
}

const SCENARIOS: Scenario[] = (
  [
    ['NAME', 'name', 'asc'],
    ['PRICE_ASC', 'price_minor', 'asc'],
    ['PRICE_DESC', 'price_minor', 'desc'],
    ['NEWEST', 'created_at', 'desc'],
  ] as const
).map(([sortBy, column, direction]) => ({
  label: sortBy,
  args: { sortBy: sortBy as ProductSortKey },
  offsetOrder: [column, direction],
}));
SCENARIOS.push({
  label: 'PRICE_ASC, in stock, 1.00-400.00',
  args: { sortBy: 'PRICE_ASC', filter: { inStockOnly: true, minPrice: '1.00', maxPrice: '400.00' } },
  offsetOrder: ['price_minor', 'asc'],
  where: (q) => q.where('stock', '>', 0).where('price_minor', '>=', 100).where('price_minor', '<=', 40000),
});

async function run(db: Kysely<InventoryDatabase>, scenario: Scenario) {
  // Walk the cursors to the page DEPTH pages in: also checks that the walk works at this size.
  let after: string | null = null;
  for (let page = 0; page < DEPTH; page++) {
    const result: Awaited<ReturnType<typeof productPage>> = await productPage(db, null, {
      ...scenario.args,
      first: PAGE_SIZE,
      after,
    });
    if (!result.pageInfo.hasNextPage) throw new Error(`${scenario.label}: only ${page + 1} pages`);
    after = result.pageInfo.endCursor;
  }
  const firstPage = () => productPage(db, null, { ...scenario.args, first: PAGE_SIZE });
  const deepPage = () => productPage(db, null, { ...scenario.args, first: PAGE_SIZE, after });
  const [column, direction] = scenario.offsetOrder;
  const offsetPage = () => {
    let q = db.selectFrom('inventory.product').select(productColumns).where('active', '=', true);
    if (scenario.where) q = scenario.where(q);
    return q
      .orderBy(column, direction)
      .orderBy('id', direction)
      .offset(DEPTH * PAGE_SIZE)
      .limit(PAGE_SIZE + 1)
      .execute();
  };

  for (let i = 0; i < WARMUP; i++) {
    await firstPage();
    await deepPage();
    await offsetPage();
  }
  const samples = { first: [] as number[], deep: [] as number[], offset: [] as number[] };
  // Interleaved in rotating order, so drift (other load on the machine) and
  // whatever the previous query left in caches hit all three alike.
  const kinds = [
    [samples.first, firstPage],
    [samples.deep, deepPage],
    [samples.offset, offsetPage],
  ] as const;
  for (let i = 0; i < RUNS; i++) {
    for (let k = 0; k < kinds.length; k++) {
      const [into, page] = kinds[(i + k) % kinds.length]!;
      into.push(await time(page));
    }
  }
  const stats = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return { median: quantile(sorted, 0.5), p95: quantile(sorted, 0.95) };
  };
  return { first: stats(samples.first), deep: stats(samples.deep), offset: stats(samples.offset) };
}

const database = await createTestDatabase('shopgraph_bench');
const db = createDatabase<InventoryDatabase>({ databaseUrl: database.url, poolSize: 2, slowQueryMs: 60_000 });
try {
  out(`Seeding ${PRODUCTS.toLocaleString('en')} products into ${database.name} ...`);
  const seconds = (await time(() => seed(db))) / 1000;
  out(
    `Seeded in ${seconds.toFixed(1)} s. Page size ${PAGE_SIZE}; deep page = page ${DEPTH + 1} (rows from ${DEPTH * PAGE_SIZE}).`,
  );
  out(`${RUNS} timed runs per figure after ${WARMUP} warm-up runs; milliseconds per page through productPage().`);
  out();
  const fmt = (n: number) => n.toFixed(2).padStart(8);
  out(
    `${'sort / filter'.padEnd(34)}${'first p50'.padStart(10)}${'first p95'.padStart(10)}${'deep p50'.padStart(10)}${'deep p95'.padStart(10)}${'deep/first'.padStart(11)}${'OFFSET p50'.padStart(11)}`,
  );
  for (const scenario of SCENARIOS) {
    const r = await run(db, scenario);
    out(
      `${scenario.label.padEnd(34)}${fmt(r.first.median)}  ${fmt(r.first.p95)}  ${fmt(r.deep.median)}  ${fmt(r.deep.p95)}  ${(r.deep.median / r.first.median).toFixed(2).padStart(9)}x ${fmt(r.offset.median)}`,
    );
  }
  out();
  out('Plan of a deep NAME page of active products (keyset on the partial (name, id) index):');
  const { rows } = await sql<{ 'QUERY PLAN': string }>`
    explain select id from inventory.product
    where active and (name, id) > ('Globe iris 250', '00000000-0000-0000-0000-000000000000')
    order by name, id limit 21`.execute(db);
  for (const row of rows) out(`  ${row['QUERY PLAN']}`);
} finally {
  await db.destroy();
  await database.drop();
}
