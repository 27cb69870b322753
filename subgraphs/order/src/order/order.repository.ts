import type { OrderDb } from '../database.js';
import type { OrderLineView, OrderRow } from './order.table.js';

/** Orders by id, in no particular order; unknown ids are simply absent. */
export async function findOrdersByIds(db: OrderDb, ids: readonly string[]): Promise<OrderRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('orders.order').selectAll().where('id', 'in', ids).execute();
}

/** The lines of many orders at once, each with its order's currency, in line order. */
export async function findLinesByOrderIds(db: OrderDb, orderIds: readonly string[]): Promise<OrderLineView[]> {
  if (orderIds.length === 0) return [];
  return db
    .selectFrom('orders.order_line as l')
    .innerJoin('orders.order as o', 'o.id', 'l.order_id')
    .selectAll('l')
    .select('o.currency')
    .where('l.order_id', 'in', orderIds)
    .orderBy('l.order_id')
    .orderBy('l.line_no')
    .execute();
}

export interface OrderPageQuery {
  limit: number;
  customerId?: string | undefined;
  /** Keyset position: (placed_at, id) of the last row of the previous page. */
  after?: { placedAt: Date; id: string } | undefined;
}

/** One page of orders, newest first, fetched with one extra row to detect a next page. */
export async function listOrders(db: OrderDb, query: OrderPageQuery): Promise<OrderRow[]> {
  let q = db.selectFrom('orders.order').selectAll();
  if (query.customerId) q = q.where('customer_id', '=', query.customerId);
  if (query.after) {
    const { placedAt, id } = query.after;
    // Row comparison: (a, b) < (x, y) walks the (placed_at desc, id desc) index.
    q = q.where((eb) => eb(eb.refTuple('placed_at', 'id'), '<', eb.tuple(placedAt, id)));
  }
  return q
    .orderBy('placed_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
}
