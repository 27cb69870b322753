import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Kysely } from 'kysely';
import { startSupergraph, type RunningSupergraph } from '../../../scripts/supergraph.js';
import { createTestDatabases, type TestDatabases } from '../../../test/support/database.js';
import { testAuth } from '../../../test/support/auth.js';
import { gql, type GraphQLResponse } from '../../../test/support/graphql.js';
import type { InventoryDatabase } from '../src/database.js';
import type { ProductRow } from '../src/product/product.table.js';
import { openInventoryDb } from './support.js';

// The catalog as shoppers see it, through the gateway.

let databases: TestDatabases;
let supergraph: RunningSupergraph;
let db: Kysely<InventoryDatabase>;
let catalog: ProductRow[];
const statements: string[] = [];

// Single capitalised words sort the same under the C and the usual language collations.
const NAMES = ['Anchor', 'Basket', 'Candle', 'Dish', 'Easel', 'Frame', 'Globe', 'Mug'];
const DESCRIPTIONS = [
  'A stoneware mug for tea',
  'Enamel mugs for the trail',
  'Hand woven from willow',
  'Brass and glass, made to last',
];

beforeAll(async () => {
  databases = await createTestDatabases();
  db = openInventoryDb(databases.urls.inventory);
  supergraph = await startSupergraph({
    databaseUrls: databases.urls,
    port: 0,
    host: '127.0.0.1',
    sandbox: false,
    auth: testAuth(),
    onQuery: (subgraph, sql) => subgraph === 'inventory' && statements.push(sql),
  });
  // 70 products with deliberate ties on every sort key: 8 names, 7 prices and
  // 5 creation times, so only the id tie-break makes each order total.
  const base = Date.parse('2026-01-01T00:00:00.000Z');
  catalog = await db
    .insertInto('inventory.product')
    .values(
      Array.from({ length: 70 }, (_, i) => ({
        sku: `CAT-${i}`,
        name: NAMES[i % NAMES.length]!,
        description: DESCRIPTIONS[i % DESCRIPTIONS.length]!,
        price_minor: (i % 7) * 250,
        stock: i % 3,
        active: i % 10 !== 9,
        created_at: new Date(base + (i % 5) * 1000),
      })),
    )
    .returningAll()
    .execute();
});

afterAll(async () => {
  await supergraph?.stop();
  await db?.destroy();
  await databases?.drop();
});

const gateway = () => supergraph.gateway.graphqlUrl;

type SortKey = 'NAME' | 'PRICE_ASC' | 'PRICE_DESC' | 'NEWEST';
type Filter = { search?: string; minPrice?: string; maxPrice?: string; inStockOnly?: boolean };

const PAGE = `query ($first: Int, $after: String, $filter: ProductFilter, $sortBy: ProductSortKey) {
  products(first: $first, after: $after, filter: $filter, sortBy: $sortBy) {
    edges { cursor node { id sku name price { amount } available inStock active } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
    totalCount
  }
}`;

const products = (variables: Record<string, unknown>) => gql(gateway(), PAGE, variables);

/** Follows `endCursor` to the end, checking page shape on the way; returns the ids in order. */
async function walk(sortBy: SortKey, filter: Filter | undefined, first: number) {
  const ids: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < 100; page++) {
    const res: GraphQLResponse<any> = await products({ first, after, filter, sortBy });
    expect(res.errors).toBeUndefined();
    const { edges, pageInfo, totalCount } = res.data.products;
    expect(edges.length).toBeLessThanOrEqual(first);
    expect(pageInfo.hasPreviousPage).toBe(after !== null);
    ids.push(...edges.map((e: any) => e.node.id));
    if (!pageInfo.hasNextPage) return { ids, totalCount: totalCount as number, pages: page + 1 };
    expect(edges).toHaveLength(first);
    after = pageInfo.endCursor;
  }
  throw new Error('pagination did not end');
}

// The expected lists, worked out here rather than by the database.
const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
const ORDERS: Record<SortKey, (a: ProductRow, b: ProductRow) => number> = {
  NAME: (a, b) => compare(a.name, b.name) || compare(a.id, b.id),
  PRICE_ASC: (a, b) => compare(a.price_minor, b.price_minor) || compare(a.id, b.id),
  PRICE_DESC: (a, b) => compare(b.price_minor, a.price_minor) || compare(b.id, a.id),
  NEWEST: (a, b) => compare(b.created_at.getTime(), a.created_at.getTime()) || compare(b.id, a.id),
};
const FILTERS: Record<string, { filter?: Filter; keep: (p: ProductRow) => boolean }> = {
  'no filter': { keep: () => true },
  'in stock only': { filter: { inStockOnly: true }, keep: (p) => p.stock > 0 },
  'a price range': {
    filter: { minPrice: '2.50', maxPrice: '10' },
    keep: (p) => p.price_minor >= 250 && p.price_minor <= 1000,
  },
  'a search and in stock': {
    filter: { search: 'mug', inStockOnly: true },
    keep: (p) => p.stock > 0 && (p.name === 'Mug' || /mug/i.test(p.description)),
  },
};

function expected(sortBy: SortKey, keep: (p: ProductRow) => boolean): string[] {
  return catalog
    .filter((p) => p.active && keep(p))
    .sort(ORDERS[sortBy])
    .map((p) => p.id);
}

describe('products: keyset pagination', () => {
  const sorts: SortKey[] = ['NAME', 'PRICE_ASC', 'PRICE_DESC', 'NEWEST'];
  const cases = sorts.flatMap((sortBy) => Object.keys(FILTERS).map((label) => [sortBy, label] as const));

  it.each(cases)('walks every product exactly once, in order, sorted by %s with %s', async (sortBy, label) => {
    const { filter, keep } = FILTERS[label]!;
    const want = expected(sortBy, keep);
    expect(want.length).toBeGreaterThan(8); // several pages
    const { ids, totalCount, pages } = await walk(sortBy, filter, 8);
    expect(ids).toEqual(want);
    expect(totalCount).toBe(want.length);
    expect(pages).toBe(Math.ceil(want.length / 8));
  });

  it('lists active products, newest first, 20 to a page by default', async () => {
    const res = await gql(
      gateway(),
      `{ products { edges { node { id active } } pageInfo { hasNextPage } totalCount } }`,
    );
    expect(res.errors).toBeUndefined();
    const want = expected('NEWEST', () => true);
    expect(res.data.products.edges.map((e: any) => e.node.id)).toEqual(want.slice(0, 20));
    expect(res.data.products.totalCount).toBe(63);
    expect(res.data.products.pageInfo.hasNextPage).toBe(true);
  });

  it('runs one keyset query per page, and the count only when totalCount is asked for', async () => {
    statements.length = 0;
    const first = await products({ first: 5, sortBy: 'PRICE_ASC' });
    expect(statements).toHaveLength(2);
    expect(statements.filter((s) => /count\(\*\)/.test(s))).toHaveLength(1);
    statements.length = 0;
    const res = await gql(
      gateway(),
      `query ($after: String) { products(first: 5, after: $after, sortBy: PRICE_ASC) { edges { node { id } } } }`,
      { after: first.data.products.pageInfo.endCursor },
    );
    expect(res.errors).toBeUndefined();
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/\("price_minor", "id"\) > \(\$\d+, \$\d+\)/);
    expect(statements[0]).not.toMatch(/offset/i);
  });
});

describe('products: search', () => {
  const search = async (text: string) => {
    const res = await products({ first: 100, filter: { search: text } });
    expect(res.errors).toBeUndefined();
    return res.data.products.edges.map((e: any) => e.node.sku).sort() as string[];
  };
  const skus = (keep: (p: ProductRow) => boolean) =>
    catalog
      .filter((p) => p.active && keep(p))
      .map((p) => p.sku)
      .sort();

  it('finds a word in the name', async () => {
    expect(await search('globe')).toEqual(skus((p) => p.name === 'Globe'));
  });

  it('finds a word in the description, whatever its form ("mugs" finds "mug")', async () => {
    expect(await search('willow')).toEqual(skus((p) => p.description.includes('willow')));
    const mugs = skus((p) => p.name === 'Mug' || /mug/i.test(p.description));
    expect(await search('mugs')).toEqual(mugs);
    expect(await search('MUG')).toEqual(mugs);
  });

  it('combines words, phrases and exclusions like a web search', async () => {
    expect(await search('brass glass')).toEqual(skus((p) => p.description.startsWith('Brass')));
    expect(await search('mug -enamel')).toEqual(
      skus((p) => (p.name === 'Mug' || /mug/i.test(p.description)) && !p.description.includes('Enamel')),
    );
    expect(await search('"stoneware mug"')).toEqual(skus((p) => p.description.includes('stoneware mug')));
  });

  it('finds nothing for unknown words or stop words alone, and treats blank as no search', async () => {
    expect(await search('zeppelin')).toEqual([]);
    expect(await search('the')).toEqual([]);
    expect(await search('  ')).toEqual(skus(() => true));
  });
});

describe('products: bad input is BAD_USER_INPUT naming the argument', () => {
  const error = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await gql(gateway(), query, variables);
    expect(res.data?.products ?? null).toBeNull();
    expect(res.errors).toHaveLength(1);
    return res.errors![0]!;
  };

  it.each([
    ['a page size of 0', { first: 0 }, 'first'],
    ['a page size above the cap', { first: 101 }, 'first'],
    ['a negative page size', { first: -5 }, 'first'],
    ['a malformed cursor', { after: 'not a cursor' }, 'after'],
    ['a cursor that is not JSON', { after: 'bm9wZQ' }, 'after'],
    ['a negative price', { filter: { minPrice: '-1.00' } }, 'filter.minPrice'],
    ['a price range upside down', { filter: { minPrice: '5', maxPrice: '4.99' } }, 'filter.maxPrice'],
    ['an over-long search', { filter: { search: 'x'.repeat(201) } }, 'filter.search'],
  ])('rejects %s as BAD_USER_INPUT', async (_label, variables, field) => {
    const e = await error(PAGE, variables);
    expect(e.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(e.message).toContain(`"${field}"`);
  });

  it('rejects a cursor from another sort or another filter', async () => {
    const byName = await products({ first: 2, sortBy: 'NAME' });
    const cursor = byName.data.products.pageInfo.endCursor;
    for (const variables of [
      { after: cursor, sortBy: 'PRICE_ASC' },
      { after: cursor, sortBy: 'NAME', filter: { inStockOnly: true } },
    ]) {
      expect((await error(PAGE, variables)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    }
    // The same sort and filter continue the list.
    expect((await products({ first: 2, sortBy: 'NAME', after: cursor })).errors).toBeUndefined();
  });

  it('rejects a well-formed cursor whose position is not a real key', async () => {
    const page = await products({ first: 1, sortBy: 'NEWEST' });
    const [tag, time] = JSON.parse(Buffer.from(page.data.products.pageInfo.endCursor, 'base64url').toString());
    for (const position of [
      [time, 'not-a-uuid'],
      [1e20, page.data.products.edges[0].node.id],
    ]) {
      const forged = Buffer.from(JSON.stringify([tag, ...position])).toString('base64url');
      expect((await error(PAGE, { sortBy: 'NEWEST', after: forged })).extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'after',
      });
    }
  });

  it('rejects an unknown sort key as BAD_USER_INPUT naming the argument, before any SQL runs', async () => {
    statements.length = 0;
    // Written in the query: the gateway refuses the whole request with one error naming sortBy.
    const literal = await gql(gateway(), `{ products(sortBy: CHEAPEST) { totalCount } }`);
    expect(literal.status).toBe(400);
    expect(literal.errors).toEqual([
      expect.objectContaining({
        message: '"sortBy" has no value CHEAPEST; expected one of NAME, PRICE_ASC, PRICE_DESC, NEWEST',
        extensions: { code: 'BAD_USER_INPUT', field: 'sortBy' },
      }),
    ]);
    // As a variable, it is bad input naming the variable and the enum.
    const variable = await gql(gateway(), PAGE, { sortBy: 'CHEAPEST' });
    expect(variable.status).toBe(400);
    expect(variable.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(variable.errors?.[0]?.message).toMatch(/"\$sortBy" got invalid value "CHEAPEST".*"ProductSortKey"/);
    expect(statements).toHaveLength(0);
  });
});

describe('single products', () => {
  it('resolves a product by id or SKU, archived ones included, null when unknown', async () => {
    const archived = catalog.find((p) => !p.active)!;
    const active = catalog.find((p) => p.active && p.stock === 0)!;
    const res = await gql(
      gateway(),
      `query ($id: ID!, $sku: String!, $unknown: ID!) {
        archived: product(id: $id) { sku active }
        bySku: productBySku(sku: $sku) { id name available inStock imageUrl price { amount currencyCode } }
        missing: product(id: $unknown) { id }
        missingSku: productBySku(sku: "NOPE") { id }
      }`,
      { id: archived.id, sku: active.sku, unknown: '00000000-0000-4000-8000-000000000000' },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({
      archived: { sku: archived.sku, active: false },
      bySku: {
        id: active.id,
        name: active.name,
        available: 0,
        inStock: false,
        imageUrl: null,
        price: { amount: (active.price_minor / 100).toFixed(2), currencyCode: 'USD' },
      },
      missing: null,
      missingSku: null,
    });
  });
});

describe('entity resolution (_entities)', () => {
  it('resolves any number of Product references in one SQL statement', async () => {
    const some = catalog.slice(0, 30);
    const archived = catalog.find((p) => !p.active)!;
    statements.length = 0;
    const res = await gql(
      supergraph.subgraphs.inventory.graphqlUrl,
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id sku active available } } }`,
      {
        r: [
          ...some.map((p) => ({ __typename: 'Product', id: p.id })),
          { __typename: 'Product', id: archived.id.toUpperCase() },
          { __typename: 'Product', id: '00000000-0000-4000-8000-000000000000' },
          { __typename: 'Product', id: 'garbage' },
        ],
      },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data._entities).toEqual([
      ...some.map((p) => ({ id: p.id, sku: p.sku, active: p.active, available: p.stock })),
      { id: archived.id, sku: archived.sku, active: false, available: archived.stock },
      null,
      null,
    ]);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/"id" in \(/);
  });
});
