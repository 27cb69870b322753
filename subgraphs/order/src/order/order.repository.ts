import { randomUUID } from 'node:crypto';
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

export type IdempotencyClaim =
  | { status: 'claimed'; leaseId: string }
  | { status: 'replay'; requestHash: string; order: OrderRow }
  | { status: 'busy' };

/**
 * Claims (caller, key) for the request in hand, for `leaseMs`, in a short
 * transaction of its own. Resolves to `claimed` (with the lease to present
 * when recording the order), `replay` when an order exists for the key, or
 * `busy` while another request holds an unexpired lease on it. An expired
 * lease (its request died) is taken over.
 */
export async function claimIdempotencyKey(
  db: OrderDb,
  claim: { caller_id: string; key: string; request_hash: string },
  leaseMs: number,
): Promise<IdempotencyClaim> {
  const leaseId = randomUUID();
  const lockedUntil = sql<Date>`now() + ${leaseMs}::float8 * interval '1 millisecond'`;
  const inserted = await db
    .insertInto('orders.idempotency_key')
    .values({ ...claim, order_id: null, lease_id: leaseId, locked_until: lockedUntil })
    .onConflict((oc) => oc.columns(['caller_id', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (inserted) return { status: 'claimed', leaseId };
  const existing = await db
    .selectFrom('orders.idempotency_key as k')
    .leftJoin('orders.order as o', 'o.id', 'k.order_id')
    .selectAll('o')
    .select(['k.request_hash', 'k.order_id as placed_order_id'])
    .select(sql<boolean>`k.locked_until is not null and k.locked_until > now()`.as('leased'))
    .where('k.caller_id', '=', claim.caller_id)
    .where('k.key', '=', claim.key)
    .executeTakeFirst();
  // Deleted meanwhile (its request failed): try again.
  if (!existing) return claimIdempotencyKey(db, claim, leaseMs);
  const { request_hash: requestHash, placed_order_id: placedOrderId, leased, ...order } = existing;
  if (placedOrderId) return { status: 'replay', requestHash, order: order as OrderRow };
  if (leased) return { status: 'busy' };
  const taken = await db
    .updateTable('orders.idempotency_key')
    .set({ lease_id: leaseId, locked_until: lockedUntil, request_hash: claim.request_hash, created_at: new Date() })
    .where('caller_id', '=', claim.caller_id)
    .where('key', '=', claim.key)
    .where('order_id', 'is', null)
    .where('locked_until', '<=', sql<Date>`now()`)
    .returning('key')
    .executeTakeFirst();
  return taken ? { status: 'claimed', leaseId } : { status: 'busy' };
}

/**
 * Records the order placed for a key, inside the order's transaction, if
 * this request still holds the key's lease (it may have expired and been
 * taken over). Resolves to whether it did.
 */
export async function recordIdempotentResult(
  trx: Transaction<OrderDatabase>,
  key: { caller_id: string; key: string; lease_id: string },
  orderId: string,
): Promise<boolean> {
  const updated = await trx
    .updateTable('orders.idempotency_key')
    .set({ order_id: orderId, lease_id: null, locked_until: null })
    .where('caller_id', '=', key.caller_id)
    .where('key', '=', key.key)
    .where('lease_id', '=', key.lease_id)
    .where('order_id', 'is', null)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) === 1;
}

/** Gives up a key this request claimed but placed no order for, so a corrected retry can claim it. */
export async function releaseIdempotencyKey(
  db: OrderDb,
  key: { caller_id: string; key: string; lease_id: string },
): Promise<void> {
  await db
    .deleteFrom('orders.idempotency_key')
    .where('caller_id', '=', key.caller_id)
    .where('key', '=', key.key)
    .where('lease_id', '=', key.lease_id)
    .where('order_id', 'is', null)
    .execute();
}

/** Deletes idempotency keys created before `before`; returns how many. */
export async function pruneIdempotencyKeys(db: OrderDb, before: Date): Promise<number> {
  const result = await db.deleteFrom('orders.idempotency_key').where('created_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
