import { randomUUID } from 'node:crypto';
import { createDatabase, type Viewer } from '@shopgraph/lib';
import { sql, type Kysely } from 'kysely';
import type { InventoryDatabase } from '../src/database.js';
import type { CreateProductInput } from '../src/generated/graphql.js';
import { createProduct } from '../src/product/product.service.js';
import type { ProductRow } from '../src/product/product.table.js';

export const admin: Viewer = { customerId: randomUUID(), role: 'ADMIN' };

/** A pool for arranging and checking rows; lock waits are what concurrency tests are about, so they are not logged as slow. */
export function openInventoryDb(url: string, poolSize = 4): Kysely<InventoryDatabase> {
  return createDatabase<InventoryDatabase>({ databaseUrl: url, poolSize, slowQueryMs: 60_000 });
}

let counter = 0;

/** A product created through the admin service, so its initial stock is in the ledger. */
export async function makeProduct(
  db: Kysely<InventoryDatabase>,
  input: Partial<CreateProductInput> = {},
): Promise<ProductRow> {
  counter += 1;
  const result = await createProduct(db, admin, {
    sku: `T-${counter}-${randomUUID().slice(0, 8)}`,
    name: `Test product ${counter}`,
    price: '10.00',
    initialStock: 10,
    ...input,
  });
  if (!result.ok) throw new Error(`could not create a product: ${JSON.stringify(result.userErrors)}`);
  return result.product;
}

export async function stockOf(db: Kysely<InventoryDatabase>, productId: string): Promise<number> {
  const row = await db
    .selectFrom('inventory.product')
    .select('stock')
    .where('id', '=', productId)
    .executeTakeFirstOrThrow();
  return row.stock;
}

export async function ledgerOf(db: Kysely<InventoryDatabase>, productId: string) {
  return db
    .selectFrom('inventory.stock_ledger')
    .selectAll()
    .where('product_id', '=', productId)
    .orderBy('id')
    .execute();
}

/** Products whose stock ledger does not sum to their stock: always empty when the ledger is kept right. */
export async function ledgerMismatches<DB>(db: Kysely<DB>) {
  const { rows } = await sql<{ sku: string; stock: number; ledger: number }>`
    select p.sku, p.stock, coalesce(sum(l.delta), 0)::int as ledger
    from inventory.product p left join inventory.stock_ledger l on l.product_id = p.id
    group by p.id
    having p.stock <> coalesce(sum(l.delta), 0)`.execute(db);
  return rows;
}
