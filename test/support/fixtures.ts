import type { CustomerDatabase } from '@shopgraph/customer';
import type { InventoryDatabase } from '@shopgraph/inventory';
import { createDatabase, type SubgraphName } from '@shopgraph/lib';
import type { OrderDatabase } from '@shopgraph/order';
import type { Kysely } from 'kysely';

/** Direct connections to each subgraph's own database, for arranging rows and checking them afterwards. */
export interface FixtureDbs {
  customer: Kysely<CustomerDatabase>;
  inventory: Kysely<InventoryDatabase>;
  order: Kysely<OrderDatabase>;
}

export function openFixtureDbs(urls: Readonly<Record<SubgraphName, string>>): FixtureDbs {
  return {
    customer: createDatabase<CustomerDatabase>({ databaseUrl: urls.customer, poolSize: 2 }),
    inventory: createDatabase<InventoryDatabase>({ databaseUrl: urls.inventory, poolSize: 2 }),
    order: createDatabase<OrderDatabase>({ databaseUrl: urls.order, poolSize: 2 }),
  };
}

export const closeFixtureDbs = (dbs: FixtureDbs | undefined) =>
  Promise.all(Object.values(dbs ?? {}).map((db: Kysely<unknown>) => db.destroy()));

export async function insertCustomers(db: Kysely<CustomerDatabase>, count: number, prefix = 'c') {
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
export async function insertProducts(db: Kysely<InventoryDatabase>, count: number, prefix = 'P', stock?: number) {
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
        reason: 'INITIAL' as const,
        actor: 'fixture',
        stock_after: p.stock,
      })),
    )
    .execute();
  return products;
}

/** Inserts an order with the given lines (no stock moves: for reading tests only). */
export async function insertOrder(
  db: Kysely<OrderDatabase>,
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
        shipping_address: null,
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
