import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Kysely } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import type { InventoryDatabase } from '../src/database.js';
import { productPage } from '../src/product/catalog.service.js';
import { toPayload } from '@shopgraph/lib';
import * as productService from '../src/product/product.service.js';
import * as stockService from '../src/stock/stock.service.js';
import { stockHistoryPage } from '../src/stock/stock.service.js';
import { admin, ledgerMismatches, ledgerOf, makeProduct, openInventoryDb, stockOf } from './support.js';

// Catalog and stock management, at the service level: the rules and the rows they leave.

let database: TestDatabase;
let db: Kysely<InventoryDatabase>;

beforeAll(async () => {
  database = await createTestDatabase();
  db = openInventoryDb(database.url, 10);
});

afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

const badInput = (field: string) => ({ extensions: { code: 'BAD_USER_INPUT', field } });
// The services' results as their mutations' payloads carry them (docs/adr/0016).
const createProduct = (...args: Parameters<typeof productService.createProduct>) =>
  productService.createProduct(...args).then(toPayload);
const updateProduct = (...args: Parameters<typeof productService.updateProduct>) =>
  productService.updateProduct(...args).then(toPayload);
const archiveProduct = (...args: Parameters<typeof productService.archiveProduct>) =>
  productService.archiveProduct(...args).then(toPayload);
const adjustStock = (...args: Parameters<typeof stockService.adjustStock>) =>
  stockService.adjustStock(...args).then(toPayload);
const setStock = (...args: Parameters<typeof stockService.setStock>) => stockService.setStock(...args).then(toPayload);
const productCount = async () =>
  (
    await db
      .selectFrom('inventory.product')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
  ).n;

describe('createProduct', () => {
  it('creates a product and records its initial stock in the ledger', async () => {
    const result = await createProduct(db, admin, {
      sku: ' LMP-001 ',
      name: ' Desk lamp ',
      description: 'Dimmable LED desk lamp.',
      price: '49.90',
      currencyCode: 'eur',
      imageUrl: 'https://img.example.com/lamp.png',
      initialStock: 12,
    });
    expect(result.userErrors).toEqual([]);
    expect(result.product).toMatchObject({
      sku: 'LMP-001',
      name: 'Desk lamp',
      price_minor: 4990,
      currency: 'EUR',
      image_url: 'https://img.example.com/lamp.png',
      active: true,
      stock: 12,
    });
    expect((await ledgerOf(db, result.product!.id)).map((r) => [r.reason, r.delta, r.stock_after, r.actor])).toEqual([
      ['INITIAL', 12, 12, admin.customerId],
    ]);
  });

  it('writes no ledger row for a product created without stock', async () => {
    const product = await makeProduct(db, { initialStock: 0 });
    expect(product.stock).toBe(0);
    expect(await ledgerOf(db, product.id)).toEqual([]);
  });

  it('refuses a duplicate SKU and a negative price, creating nothing', async () => {
    const existing = await makeProduct(db);
    const before = await productCount();
    expect(await createProduct(db, admin, { sku: existing.sku, name: 'Copy', price: '1.00' })).toEqual({
      userErrors: [{ code: 'DUPLICATE_SKU', field: ['input', 'sku'], message: 'Another product already has this SKU' }],
    });
    expect(await createProduct(db, admin, { sku: 'NEG-1', name: 'Negative', price: '-0.01' })).toEqual({
      userErrors: [{ code: 'NEGATIVE_PRICE', field: ['input', 'price'], message: 'Price must be zero or more' }],
    });
    expect(await productCount()).toBe(before);
  });

  it('reports every malformed field at once', async () => {
    const result = await createProduct(db, admin, {
      sku: 'has spaces',
      name: '   ',
      price: '1.00',
      currencyCode: 'dollars',
      imageUrl: 'javascript:alert(1)',
    });
    expect(result.product).toBeUndefined();
    expect(result.userErrors.map((e) => [e.code, e.field])).toEqual([
      ['INVALID_VALUE', ['input', 'sku']],
      ['INVALID_VALUE', ['input', 'name']],
      ['INVALID_VALUE', ['input', 'currencyCode']],
      ['INVALID_VALUE', ['input', 'imageUrl']],
    ]);
  });

  it('refuses negative initial stock with INVALID_QUANTITY (docs/adr/0016), creating nothing', async () => {
    const before = await productCount();
    expect(
      await productService.createProduct(db, admin, { sku: 'NEG-STOCK', name: 'x', price: '1.00', initialStock: -1 }),
    ).toEqual({
      ok: false,
      userErrors: [
        {
          code: 'INVALID_QUANTITY',
          field: ['input', 'initialStock'],
          message: 'Initial stock must be from 0 to 2147483647 units',
        },
      ],
    });
    expect(await productCount()).toBe(before);
  });

  it('lets exactly one of several admins racing for a SKU win', async () => {
    const sku = `RACE-${randomUUID().slice(0, 8)}`;
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => createProduct(db, admin, { sku, name: 'Race', price: '1.00', initialStock: 1 })),
    );
    expect(results.filter((r) => r.product)).toHaveLength(1);
    expect(results.filter((r) => r.userErrors[0]?.code === 'DUPLICATE_SKU')).toHaveLength(3);
  });
});

describe('updateProduct and archiveProduct', () => {
  it('changes the given details only, and stamps updatedAt', async () => {
    const product = await makeProduct(db, { imageUrl: 'https://img.example.com/a.png', price: '5.00' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const result = await updateProduct(db, admin, { id: product.id, name: 'Renamed', price: '7.25', imageUrl: null });
    expect(result.userErrors).toEqual([]);
    expect(result.product).toMatchObject({
      id: product.id,
      sku: product.sku,
      name: 'Renamed',
      price_minor: 725,
      image_url: null,
      stock: product.stock,
    });
    expect(result.product!.updated_at.getTime()).toBeGreaterThan(product.updated_at.getTime());
    expect(result.product!.created_at).toEqual(product.created_at);
    // Nothing to change: the product as it is.
    expect((await updateProduct(db, admin, { id: product.id })).product).toEqual(result.product);
  });

  it('refuses an unknown product, a duplicate SKU and a negative price; rejects a malformed id', async () => {
    const a = await makeProduct(db);
    const b = await makeProduct(db);
    const unknown = await updateProduct(db, admin, { id: randomUUID(), name: 'x' });
    expect(unknown.userErrors.map((e) => [e.code, e.field])).toEqual([['PRODUCT_NOT_FOUND', ['input', 'id']]]);
    const duplicate = await updateProduct(db, admin, { id: b.id, sku: a.sku });
    expect(duplicate.userErrors.map((e) => e.code)).toEqual(['DUPLICATE_SKU']);
    const negative = await updateProduct(db, admin, { id: b.id, price: '-1' });
    expect(negative.userErrors.map((e) => e.code)).toEqual(['NEGATIVE_PRICE']);
    await expect(updateProduct(db, admin, { id: 'nope', name: 'x' })).rejects.toMatchObject(badInput('input.id'));
    const [unchanged] = await db.selectFrom('inventory.product').selectAll().where('id', '=', b.id).execute();
    expect(unchanged).toMatchObject({ sku: b.sku, price_minor: b.price_minor });
  });

  it('archives a product: out of the public catalog, still resolvable, visible to admins', async () => {
    const product = await makeProduct(db, { name: 'Archivable' });
    const archived = await archiveProduct(db, admin, product.id);
    expect(archived.product).toMatchObject({ id: product.id, active: false });
    // Twice is harmless.
    expect((await archiveProduct(db, admin, product.id)).product).toMatchObject({ id: product.id, active: false });
    expect((await archiveProduct(db, admin, randomUUID())).userErrors.map((e) => e.code)).toEqual([
      'PRODUCT_NOT_FOUND',
    ]);

    const filter = { search: 'archivable' };
    const publicPage = await productPage(db, null, { filter });
    expect(publicPage.edges).toEqual([]);
    const adminPage = await productPage(db, admin, { filter: { ...filter, activeOnly: false } });
    expect(adminPage.edges.map((e) => e.node.id)).toEqual([product.id]);
    await expect(
      productPage(db, { customerId: randomUUID(), role: 'CUSTOMER' }, { filter: { activeOnly: false } }),
    ).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
  });
});

describe('adjustStock and setStock', () => {
  it('adds and removes units with a note, one ledger row each', async () => {
    const product = await makeProduct(db, { initialStock: 10 });
    const added = await adjustStock(db, admin, { productId: product.id, delta: 5, note: 'restock' });
    expect(added.userErrors).toEqual([]);
    expect(added.product?.stock).toBe(15);
    expect(added.movement).toMatchObject({ delta: 5, reason: 'ADJUSTMENT', note: 'restock', stock_after: 15 });
    const removed = await adjustStock(db, admin, { productId: product.id, delta: -15, note: ' damaged ' });
    expect(removed.product?.stock).toBe(0);
    expect((await ledgerOf(db, product.id)).map((r) => [r.reason, r.delta, r.stock_after, r.note, r.actor])).toEqual([
      ['INITIAL', 10, 10, null, admin.customerId],
      ['ADJUSTMENT', 5, 15, 'restock', admin.customerId],
      ['ADJUSTMENT', -15, 0, 'damaged', admin.customerId],
    ]);
  });

  it('refuses to take stock below zero or to touch an unknown product, changing nothing', async () => {
    const product = await makeProduct(db, { initialStock: 3 });
    const result = await adjustStock(db, admin, { productId: product.id, delta: -4, note: 'count' });
    expect(result).toEqual({
      userErrors: [
        { code: 'INSUFFICIENT_STOCK', field: ['input', 'delta'], message: 'Stock would go below zero: 3 on hand' },
      ],
    });
    const unknown = await adjustStock(db, admin, { productId: randomUUID(), delta: 1, note: 'x' });
    expect(unknown.userErrors.map((e) => e.code)).toEqual(['PRODUCT_NOT_FOUND']);
    expect(await stockOf(db, product.id)).toBe(3);
    expect(await ledgerOf(db, product.id)).toHaveLength(1);
  });

  it('refuses a zero delta, a missing or long note and a negative count as userErrors, and throws on a malformed id', async () => {
    const product = await makeProduct(db, { initialStock: 3 });
    const refusal = (code: string, field: string) => expect.objectContaining({ code, field: ['input', field] });
    expect(await adjustStock(db, admin, { productId: product.id, delta: 0, note: ' ' })).toEqual({
      userErrors: [refusal('INVALID_QUANTITY', 'delta'), refusal('INVALID_VALUE', 'note')],
    });
    expect(await adjustStock(db, admin, { productId: product.id, delta: 1, note: 'x'.repeat(501) })).toEqual({
      userErrors: [refusal('INVALID_VALUE', 'note')],
    });
    expect(await setStock(db, admin, { productId: product.id, quantity: -1 })).toEqual({
      userErrors: [refusal('INVALID_QUANTITY', 'quantity')],
    });
    await expect(setStock(db, admin, { productId: 'x', quantity: 1 })).rejects.toMatchObject(
      badInput('input.productId'),
    );
    expect(await stockOf(db, product.id)).toBe(3);
    expect(await ledgerOf(db, product.id)).toHaveLength(1);
  });

  it('sets a counted stock, recording the difference; the same count records nothing', async () => {
    const product = await makeProduct(db, { initialStock: 8 });
    const counted = await setStock(db, admin, { productId: product.id, quantity: 5, note: 'stocktake' });
    expect(counted.movement).toMatchObject({ delta: -3, reason: 'SET', stock_after: 5, note: 'stocktake' });
    const same = await setStock(db, admin, { productId: product.id, quantity: 5 });
    expect(same).toMatchObject({ product: { stock: 5 }, movement: null, userErrors: [] });
    expect(await ledgerOf(db, product.id)).toHaveLength(2);
  });

  it('never oversells when admins remove units concurrently', async () => {
    const product = await makeProduct(db, { initialStock: 20 });
    const results = await Promise.all(
      Array.from({ length: 40 }, () => adjustStock(db, admin, { productId: product.id, delta: -1, note: 'sold' })),
    );
    expect(results.filter((r) => r.product)).toHaveLength(20);
    expect(await stockOf(db, product.id)).toBe(0);
    expect(await ledgerMismatches(db)).toEqual([]);
  });
});

describe('catalog service', () => {
  it('rejects a sort key outside the enum from callers that skip GraphQL validation', async () => {
    for (const sortBy of ['CHEAPEST', 'toString']) {
      await expect(productPage(db, null, { sortBy: sortBy as never })).rejects.toMatchObject(badInput('sortBy'));
    }
  });
});

describe('stock history', () => {
  it('pages through a product’s ledger, newest first', async () => {
    const product = await makeProduct(db, { initialStock: 1 });
    for (let i = 1; i <= 6; i++) await adjustStock(db, admin, { productId: product.id, delta: i, note: `n${i}` });
    const seen: (string | null)[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Awaited<ReturnType<typeof stockHistoryPage>> = await stockHistoryPage(db, product.id, {
        first: 3,
        after,
      });
      seen.push(...page.edges.map((e) => e.node.note));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(['n6', 'n5', 'n4', 'n3', 'n2', 'n1', null]);
    await expect(stockHistoryPage(db, product.id, { after: 'bm9wZQ' })).rejects.toMatchObject(badInput('after'));
  });
});
