import type { CustomerDatabase } from '@shopgraph/customer';
import type { InventoryDatabase } from '@shopgraph/inventory';
import { createDatabase } from '@shopgraph/lib';
import type { OrderDatabase } from '@shopgraph/order';
import type { Kysely } from 'kysely';

export type AllTables = CustomerDatabase & InventoryDatabase & OrderDatabase;

/** A direct connection for arranging rows and checking them afterwards. */
export function openFixtureDb(url: string): Kysely<AllTables> {
  return createDatabase<AllTables>({ databaseUrl: url, poolSize: 4 });
}

export async function insertCustomers(db: Kysely<AllTables>, count: number, prefix = 'c') {
  return db
    .insertInto('customer.customer')
    .values(
      Array.from({ length: count }, (_, i) => ({
        email: `${prefix}${i}-${Math.random().toString(36).slice(2, 8)}@example.test`,
        name: `Customer ${prefix}${i}`,
        password_hash: null,
      })),
    )
    .returningAll()
    .execute();
}

/** Inserts products with stock, and the INITIAL stock ledger rows that account for it. */
export async function insertProducts(db: Kysely<AllTables>, count: number, prefix = 'P', stock?: number) {
  const products = await db
    .insertInto('inventory.product')
    .values(
      Array.from({ length: count }, (_, i) => ({
        sku: `${prefix}-${i}-${Math.random().toString(36).slice(2, 8)}`,
        name: `Product ${prefix}${i}`,
        description: `Description of product ${prefix}${i}`,
        price_minor: 100 + i,
        stock: stock ?? 10 + i,
      })),
    )
    .returningAll()
    .execute();
  await db
    .insertInto('inventory.stock_ledger')
    .values(
      products.map((p) => ({
        product_id: p.id,
        delta: p.stock,
        reason: 'INITIAL',
        actor: 'fixture',
        stock_after: p.stock,
      })),
    )
    .execute();
  return products;
}

/** Inserts an order with the given lines priced at the products' current prices. */
export async function insertOrder(
  db: Kysely<AllTables>,
  customerId: string,
  lines: { productId: string; quantity: number; unitPriceMinor: number }[],
  placedAt?: Date,
) {
  return db.transaction().execute(async (trx) => {
    const total = lines.reduce((sum, l) => sum + l.quantity * l.unitPriceMinor, 0);
    const order = await trx
      .insertInto('orders.order')
      .values({
        customer_id: customerId,
        status: 'PENDING',
        currency: 'USD',
        total_minor: total,
        ...(placedAt ? { placed_at: placedAt } : {}),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('orders.order_line')
      .values(
        lines.map((l, i) => ({
          order_id: order.id,
          line_no: i + 1,
          product_id: l.productId,
          quantity: l.quantity,
          unit_price_minor: l.unitPriceMinor,
        })),
      )
      .execute();
    return order;
  });
}
