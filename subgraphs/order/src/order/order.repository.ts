import type { NewestFirstPosition } from '@shopgraph/lib';
import { sql, type Transaction } from 'kysely';
import type { OrderDatabase, OrderDb } from '../database.js';
import type {
  NewOrderLineRow,
  NewOrderRow,
  OrderLineView,
  OrderRow,
  OrderStatus,
  OrderStatusHistoryRow,
  OrderUpdate,
} from './order.table.js';

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

/** The status histories of many orders at once, oldest first. */
export async function findStatusHistories(db: OrderDb, orderIds: readonly string[]): Promise<OrderStatusHistoryRow[]> {
  if (orderIds.length === 0) return [];
  return db
    .selectFrom('orders.order_status_history')
    .selectAll()
    .where('order_id', 'in', orderIds)
    .orderBy('order_id')
    .orderBy('id')
    .execute();
}

export interface OrderPageQuery {
  limit: number;
  customerId?: string | undefined;
  status?: OrderStatus | undefined;
  placedAfter?: Date | undefined;
  placedBefore?: Date | undefined;
  /** Keyset position: (placed_at, id) of the last row of the previous page. */
  after?: NewestFirstPosition | undefined;
}

/**
 * One page of orders, newest first, fetched with one extra row to detect a
 * next page. Every combination of filters has an index ending in
 * (placed_at desc, id desc), so a deep page costs what the first one does.
 */
export async function listOrders(db: OrderDb, query: OrderPageQuery): Promise<OrderRow[]> {
  let q = db.selectFrom('orders.order').selectAll();
  if (query.customerId) q = q.where('customer_id', '=', query.customerId);
  if (query.status) q = q.where('status', '=', query.status);
  if (query.placedAfter) q = q.where('placed_at', '>=', query.placedAfter);
  if (query.placedBefore) q = q.where('placed_at', '<', query.placedBefore);
  if (query.after) {
    const { at, id } = query.after;
    // Row comparison: (a, b) < (x, y) walks the (placed_at desc, id desc) index.
    q = q.where((eb) => eb(eb.refTuple('placed_at', 'id'), '<', eb.tuple(at, id)));
  }
  return q
    .orderBy('placed_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
}

/**
 * The newest `limit + 1` orders of each customer (optionally in one status),
 * in one statement: a lateral join walks each customer's
 * (customer_id, [status,] placed_at desc, id desc) index.
 */
export async function listFirstOrdersPerCustomer(
  db: OrderDb,
  customerIds: readonly string[],
  query: { limit: number; status?: OrderStatus | undefined },
): Promise<OrderRow[]> {
  if (customerIds.length === 0) return [];
  const status = query.status ? sql`and o.status = ${query.status}` : sql``;
  const { rows } = await sql<OrderRow>`
    select o.* from unnest(${[...customerIds]}::uuid[]) as c (id)
    cross join lateral (
      select * from orders."order" as o
      where o.customer_id = c.id ${status}
      order by o.placed_at desc, o.id desc
      limit ${query.limit + 1}
    ) as o
    order by o.customer_id, o.placed_at desc, o.id desc`.execute(db);
  return rows;
}

/** Inserts an order and its lines; returns the order row. */
export async function insertOrder(
  trx: Transaction<OrderDatabase>,
  order: NewOrderRow,
  lines: readonly NewOrderLineRow[],
): Promise<OrderRow> {
  const row = await trx.insertInto('orders.order').values(order).returningAll().executeTakeFirstOrThrow();
  await trx.insertInto('orders.order_line').values(lines).execute();
  return row;
}

/** Locks an order for a change: concurrent changes to one order queue here. */
export async function lockOrder(trx: Transaction<OrderDatabase>, id: string): Promise<OrderRow | undefined> {
  return trx.selectFrom('orders.order').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/** Applies a change to a locked order, bumping its version. */
export async function updateOrder(
  trx: Transaction<OrderDatabase>,
  id: string,
  changes: OrderUpdate,
): Promise<OrderRow> {
  return trx
    .updateTable('orders.order')
    .set((eb) => ({ ...changes, version: eb('version', '+', 1), updated_at: new Date() }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findLines(db: OrderDb, orderId: string) {
  return db.selectFrom('orders.order_line').selectAll().where('order_id', '=', orderId).orderBy('line_no').execute();
}

export async function insertStatusChange(
  trx: Transaction<OrderDatabase>,
  change: { order_id: string; status: OrderStatus; actor_id: string; note: string | null },
): Promise<void> {
  await trx.insertInto('orders.order_status_history').values(change).execute();
}

export type IdempotencyClaim = { status: 'claimed' } | { status: 'replay'; requestHash: string; order: OrderRow };

/**
 * Claims (caller, key) for this transaction. If another transaction holds or
 * held it, Postgres makes this insert wait until that one ends: on its commit
 * this returns its result to replay; on its rollback the claim is ours.
 */
export async function claimIdempotencyKey(
  trx: Transaction<OrderDatabase>,
  claim: { caller_id: string; key: string; request_hash: string },
): Promise<IdempotencyClaim> {
  const inserted = await trx
    .insertInto('orders.idempotency_key')
    .values(claim)
    .onConflict((oc) => oc.columns(['caller_id', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (inserted) return { status: 'claimed' };
  const existing = await trx
    .selectFrom('orders.idempotency_key as k')
    .innerJoin('orders.order as o', 'o.id', 'k.order_id')
    .selectAll('o')
    .select('k.request_hash')
    .where('k.caller_id', '=', claim.caller_id)
    .where('k.key', '=', claim.key)
    .executeTakeFirstOrThrow();
  const { request_hash: requestHash, ...order } = existing;
  return { status: 'replay', requestHash, order };
}

export async function recordIdempotentResult(
  trx: Transaction<OrderDatabase>,
  callerId: string,
  key: string,
  orderId: string,
): Promise<void> {
  await trx
    .updateTable('orders.idempotency_key')
    .set({ order_id: orderId })
    .where('caller_id', '=', callerId)
    .where('key', '=', key)
    .execute();
}

/** Deletes idempotency keys created before `before`; returns how many. */
export async function pruneIdempotencyKeys(db: OrderDb, before: Date): Promise<number> {
  const result = await db.deleteFrom('orders.idempotency_key').where('created_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
