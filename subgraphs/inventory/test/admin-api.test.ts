import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Kysely } from 'kysely';
import { startSupergraph, type RunningSupergraph } from '../../../scripts/supergraph.js';
import { bearer, testAuth, tokenFor } from '../../../test/support/auth.js';
import { createTestDatabases, type TestDatabases } from '../../../test/support/database.js';
import { gql } from '../../../test/support/graphql.js';
import type { InventoryDatabase } from '../src/database.js';
import type { ProductRow } from '../src/product/product.table.js';
import { ledgerMismatches, ledgerOf, makeProduct, openInventoryDb } from './support.js';

// Catalog and stock management through the gateway, with real tokens.

const auth = testAuth();
let databases: TestDatabases;
let supergraph: RunningSupergraph;
let db: Kysely<InventoryDatabase>;
let target: ProductRow;

const adminId = randomUUID();
const asAdmin = () => bearer(tokenFor(auth, { customerId: adminId, role: 'ADMIN' }));
const asCustomer = () => bearer(tokenFor(auth, { customerId: randomUUID(), role: 'CUSTOMER' }));

beforeAll(async () => {
  databases = await createTestDatabases();
  db = openInventoryDb(databases.urls.inventory);
  supergraph = await startSupergraph({
    databaseUrls: databases.urls,
    port: 0,
    host: '127.0.0.1',
    sandbox: false,
    auth,
  });
  target = await makeProduct(db, { name: 'Guarded lantern', initialStock: 5 });
});

afterAll(async () => {
  await supergraph?.stop();
  await db?.destroy();
  await databases?.drop();
});

const gateway = () => supergraph.gateway.graphqlUrl;
const run = (query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) =>
  gql(gateway(), query, variables, headers);

const PRODUCT_FIELDS = `id sku name description price { amount currencyCode } imageUrl available inStock active`;
const USER_ERRORS = `userErrors { field message code }`;
const CREATE = `mutation ($input: CreateProductInput!) { createProduct(input: $input) { product { ${PRODUCT_FIELDS} } ${USER_ERRORS} } }`;
const UPDATE = `mutation ($input: UpdateProductInput!) { updateProduct(input: $input) { product { ${PRODUCT_FIELDS} } ${USER_ERRORS} } }`;
const ARCHIVE = `mutation ($id: ID!) { archiveProduct(id: $id) { product { id active } ${USER_ERRORS} } }`;
const MOVEMENT = `movement { delta reason reference actor note stockAfter createdAt }`;
const ADJUST = `mutation ($input: AdjustStockInput!) { adjustStock(input: $input) { product { id available } ${MOVEMENT} ${USER_ERRORS} } }`;
const SET = `mutation ($input: SetStockInput!) { setStock(input: $input) { product { id available } ${MOVEMENT} ${USER_ERRORS} } }`;
const HISTORY = `query ($id: ID!) { product(id: $id) { stockHistory(first: 10) { edges { node { delta reason actor note stockAfter } } } } }`;
const ALL_PRODUCTS = `{ products(first: 100, filter: { activeOnly: false }) { totalCount } }`;

describe('who may manage the catalog', () => {
  const attempts: [string, string, () => Record<string, unknown>][] = [
    ['createProduct', CREATE, () => ({ input: { sku: 'GUARD-1', name: 'x', price: '1.00', initialStock: 3 } })],
    ['updateProduct', UPDATE, () => ({ input: { id: target.id, name: 'Hijacked' } })],
    ['archiveProduct', ARCHIVE, () => ({ id: target.id })],
    ['adjustStock', ADJUST, () => ({ input: { productId: target.id, delta: 100, note: 'x' } })],
    ['setStock', SET, () => ({ input: { productId: target.id, quantity: 0 } })],
    ['stockHistory', HISTORY, () => ({ id: target.id })],
    ['products(activeOnly: false)', ALL_PRODUCTS, () => ({})],
  ];

  it.each(attempts)('refuses %s to anonymous callers and customers, changing nothing', async (_name, query, vars) => {
    const anonymous = await run(query, vars());
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const customer = await run(query, vars(), asCustomer());
    expect(customer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    for (const res of [anonymous, customer]) {
      expect(JSON.stringify(res.data ?? null)).not.toMatch(/Hijacked|GUARD-1|stockHistory|totalCount/);
    }
    const now = await db.selectFrom('inventory.product').selectAll().where('id', '=', target.id).executeTakeFirst();
    expect(now).toMatchObject({ name: target.name, active: true, stock: 5 });
    expect(await ledgerOf(db, target.id)).toHaveLength(1);
    expect(await db.selectFrom('inventory.product').select('id').where('sku', '=', 'GUARD-1').execute()).toEqual([]);
  });
});

describe('an admin', () => {
  it('creates, prices, stocks, archives a product and reads its stock history', async () => {
    const created = await run(
      CREATE,
      {
        input: {
          sku: 'OWL-001',
          name: 'Ceramic owl',
          description: 'A small ceramic owl for the desk.',
          price: '18.5',
          imageUrl: 'https://img.example.com/owl.png',
          initialStock: 4,
        },
      },
      asAdmin(),
    );
    expect(created.errors).toBeUndefined();
    expect(created.data.createProduct.userErrors).toEqual([]);
    const owl = created.data.createProduct.product;
    expect(owl).toMatchObject({
      sku: 'OWL-001',
      price: { amount: '18.50', currencyCode: 'USD' },
      imageUrl: 'https://img.example.com/owl.png',
      available: 4,
      inStock: true,
      active: true,
    });

    // Shoppers find it at once.
    const found = await run(`{ products(filter: { search: "owls" }) { edges { node { id } } } }`, {});
    expect(found.data.products.edges).toEqual([{ node: { id: owl.id } }]);

    const updated = await run(UPDATE, { input: { id: owl.id, price: '21.00', imageUrl: null } }, asAdmin());
    expect(updated.data.updateProduct.product).toMatchObject({ price: { amount: '21.00' }, imageUrl: null });

    const adjusted = await run(ADJUST, { input: { productId: owl.id, delta: -3, note: 'chipped' } }, asAdmin());
    expect(adjusted.errors).toBeUndefined();
    expect(adjusted.data.adjustStock).toMatchObject({
      product: { available: 1 },
      movement: { delta: -3, reason: 'ADJUSTMENT', actor: adminId, note: 'chipped', stockAfter: 1, reference: null },
      userErrors: [],
    });
    const counted = await run(SET, { input: { productId: owl.id, quantity: 10, note: 'stocktake' } }, asAdmin());
    expect(counted.data.setStock).toMatchObject({ product: { available: 10 }, movement: { delta: 9, reason: 'SET' } });

    const history = await run(HISTORY, { id: owl.id }, asAdmin());
    expect(history.errors).toBeUndefined();
    expect(history.data.product.stockHistory.edges.map((e: any) => e.node)).toEqual([
      { delta: 9, reason: 'SET', actor: adminId, note: 'stocktake', stockAfter: 10 },
      { delta: -3, reason: 'ADJUSTMENT', actor: adminId, note: 'chipped', stockAfter: 1 },
      { delta: 4, reason: 'INITIAL', actor: adminId, note: null, stockAfter: 4 },
    ]);

    const archived = await run(ARCHIVE, { id: owl.id }, asAdmin());
    expect(archived.data.archiveProduct).toEqual({ product: { id: owl.id, active: false }, userErrors: [] });
    const publicSearch = await run(`{ products(filter: { search: "owl" }) { totalCount } }`, {});
    expect(publicSearch.data.products.totalCount).toBe(0);
    const adminSearch = await run(
      `{ products(filter: { search: "owl", activeOnly: false }) { edges { node { id active } } } }`,
      {},
      asAdmin(),
    );
    expect(adminSearch.data.products.edges).toEqual([{ node: { id: owl.id, active: false } }]);
    expect(await ledgerMismatches(db)).toEqual([]);
  });

  it('gets refusals as userErrors with codes, and nothing changes', async () => {
    const before = await db.selectFrom('inventory.product').selectAll().where('id', '=', target.id).executeTakeFirst();
    const duplicate = await run(CREATE, { input: { sku: target.sku, name: 'Copy', price: '1.00' } }, asAdmin());
    expect(duplicate.data.createProduct).toEqual({
      product: null,
      userErrors: [{ field: ['input', 'sku'], message: 'Another product already has this SKU', code: 'DUPLICATE_SKU' }],
    });
    const negative = await run(UPDATE, { input: { id: target.id, price: '-2.00' } }, asAdmin());
    expect(negative.data.updateProduct.userErrors).toEqual([
      { field: ['input', 'price'], message: 'Price must be zero or more', code: 'NEGATIVE_PRICE' },
    ]);
    const belowZero = await run(ADJUST, { input: { productId: target.id, delta: -6, note: 'x' } }, asAdmin());
    expect(belowZero.data.adjustStock).toEqual({
      product: null,
      movement: null,
      userErrors: [
        { field: ['input', 'delta'], message: 'Stock would go below zero: 5 on hand', code: 'INSUFFICIENT_STOCK' },
      ],
    });
    const unknown = await run(SET, { input: { productId: randomUUID(), quantity: 1 } }, asAdmin());
    expect(unknown.data.setStock.userErrors).toEqual([
      { field: ['input', 'productId'], message: 'No product has this id', code: 'PRODUCT_NOT_FOUND' },
    ]);
    const now = await db.selectFrom('inventory.product').selectAll().where('id', '=', target.id).executeTakeFirst();
    expect(now).toEqual(before);
    expect(await ledgerOf(db, target.id)).toHaveLength(1);
  });

  // Values a person entered wrongly are userErrors; malformed requests are thrown (docs/adr/0016).
  it.each([
    ['a zero delta', ADJUST, 'adjustStock', () => ({ input: { productId: target.id, delta: 0, note: 'x' } }), 'delta'],
    ['a negative count', SET, 'setStock', () => ({ input: { productId: target.id, quantity: -1 } }), 'quantity'],
    ['a blank note', ADJUST, 'adjustStock', () => ({ input: { productId: target.id, delta: 1, note: '  ' } }), 'note'],
    [
      'negative initial stock',
      CREATE,
      'createProduct',
      () => ({ input: { sku: 'BAD-1', name: 'x', price: '1', initialStock: -2 } }),
      'initialStock',
    ],
  ])('refuses %s with a userError naming the field, and nothing changes', async (_label, query, name, vars, field) => {
    const res = await run(query, vars(), asAdmin());
    expect(res.errors).toBeUndefined();
    expect(res.data[name].product).toBeNull();
    expect(res.data[name].userErrors).toEqual([
      expect.objectContaining({
        field: ['input', field],
        code: field === 'note' ? 'INVALID_VALUE' : 'INVALID_QUANTITY',
      }),
    ]);
    expect(await db.selectFrom('inventory.product').select('stock').where('id', '=', target.id).execute()).toEqual([
      { stock: 5 },
    ]);
    expect(await db.selectFrom('inventory.product').select('id').where('sku', '=', 'BAD-1').execute()).toEqual([]);
  });

  it.each([
    ['a malformed product id', ADJUST, () => ({ input: { productId: 'x', delta: 1, note: 'n' } }), 'input.productId'],
  ])('gets BAD_USER_INPUT naming the argument for %s, and nothing changes', async (_label, query, vars, field) => {
    const res = await run(query, vars(), asAdmin());
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await db.selectFrom('inventory.product').select('stock').where('id', '=', target.id).execute()).toEqual([
      { stock: 5 },
    ]);
    expect(await db.selectFrom('inventory.product').select('id').where('sku', '=', 'BAD-1').execute()).toEqual([]);
  });
});
