import { sql } from 'kysely';
import type { CustomerDb } from '../database.js';
import type { OrderStatsRow, OrderSummaryRow } from './order-stats.table.js';

/** The stored state of an order, locked for the rest of the transaction. */
export async function findOrderSummaryForUpdate(db: CustomerDb, orderId: string): Promise<OrderSummaryRow | undefined> {
  return db
    .selectFrom('customer.order_summary')
    .selectAll()
    .where('order_id', '=', orderId)
    .forUpdate()
    .executeTakeFirst();
}

export async function saveOrderSummary(db: CustomerDb, row: OrderSummaryRow): Promise<void> {
  await db
    .insertInto('customer.order_summary')
    .values(row)
    .onConflict((oc) =>
      oc.column('order_id').doUpdateSet({
        version: row.version,
        status: row.status,
        total_minor: row.total_minor,
        currency: row.currency,
      }),
    )
    .execute();
}

/**
 * Adds to (or, with negative numbers, subtracts from) a customer's statistics
 * in one currency, creating them on first use; last_order_at only moves
 * forward. Update first: the row's checks (never below zero) also hold for a
 * subtraction, which always follows an addition.
 */
export async function addToOrderStats(
  db: CustomerDb,
  change: { customerId: string; currency: string; orders: number; totalMinor: number; placedAt: Date },
): Promise<void> {
  const updated = await db
    .updateTable('customer.order_stats')
    .set((eb) => ({
      order_count: eb('order_count', '+', change.orders),
      total_spent_minor: eb('total_spent_minor', '+', change.totalMinor),
      last_order_at: sql<Date>`greatest(last_order_at, ${change.placedAt})`,
    }))
    .where('customer_id', '=', change.customerId)
    .where('currency', '=', change.currency)
    .executeTakeFirst();
  if (updated.numUpdatedRows > 0n) return;
  await db
    .insertInto('customer.order_stats')
    .values({
      customer_id: change.customerId,
      currency: change.currency,
      order_count: change.orders,
      total_spent_minor: change.totalMinor,
      last_order_at: change.placedAt,
    })
    .execute();
}

/** The statistics rows of many customers at once, each customer's currencies in code order. */
export async function findOrderStatsByCustomerIds(db: CustomerDb, ids: readonly string[]): Promise<OrderStatsRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('customer.order_stats')
    .selectAll()
    .where('customer_id', 'in', ids)
    .orderBy('customer_id')
    .orderBy('currency')
    .execute();
}
