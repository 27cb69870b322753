import { sql, type Transaction } from 'kysely';
import type { OrderDatabase, OrderDb } from '../database.js';
import type { ReservationAction, ReservationCallRow } from './reservation-call.table.js';

/**
 * Records, in the caller's transaction, that a reservation call must be made,
 * due after `delayMs` (the request path makes it at once; the delay keeps
 * dispatchers out of its way). A RELEASE drops a CONFIRM still pending for
 * the order: a cancelled order's reservation is released, never confirmed.
 */
export async function scheduleReservationCall(
  trx: Transaction<OrderDatabase>,
  call: { orderId: string; action: ReservationAction; actor: string },
  delayMs: number,
): Promise<void> {
  if (call.action === 'RELEASE') {
    await trx
      .deleteFrom('orders.reservation_call')
      .where('order_id', '=', call.orderId)
      .where('action', '=', 'CONFIRM')
      .execute();
  }
  await trx
    .insertInto('orders.reservation_call')
    .values({
      order_id: call.orderId,
      action: call.action,
      actor: call.actor,
      next_attempt_at: sql<Date>`now() + ${delayMs}::float8 * interval '1 millisecond'`,
      last_error: null,
      parked_at: null,
    })
    .onConflict((oc) => oc.columns(['order_id', 'action']).doNothing())
    .execute();
}

/** The call is done: inventory answered. */
export async function deleteReservationCall(db: OrderDb, orderId: string, action: ReservationAction): Promise<void> {
  await db.deleteFrom('orders.reservation_call').where('order_id', '=', orderId).where('action', '=', action).execute();
}

/**
 * Takes up to `limit` due calls for delivery: each is leased (its due time
 * moved `leaseMs` ahead, its attempts counted) so no other dispatcher takes
 * it meanwhile; rows another dispatcher is leasing right now are skipped.
 */
export async function leaseDueReservationCalls(
  db: OrderDb,
  limit: number,
  leaseMs: number,
): Promise<ReservationCallRow[]> {
  const { rows } = await sql<ReservationCallRow>`
    update orders.reservation_call as c
       set next_attempt_at = now() + ${leaseMs}::float8 * interval '1 millisecond', attempts = c.attempts + 1
     where (c.order_id, c.action) in (
       select order_id, action from orders.reservation_call
        where parked_at is null and next_attempt_at <= now()
        order by next_attempt_at
        limit ${limit}
        for update skip locked)
    returning c.*`.execute(db);
  return rows;
}

/**
 * A delivery failed: try again after a back-off that doubles with every
 * attempt, from `baseMs` up to `maxMs`.
 */
export async function rescheduleReservationCall(
  db: OrderDb,
  call: { orderId: string; action: ReservationAction },
  error: string,
  backoff: { baseMs: number; maxMs: number },
): Promise<void> {
  await db
    .updateTable('orders.reservation_call')
    .set({
      last_error: error.slice(0, 1000),
      next_attempt_at: sql<Date>`now() + least(${backoff.baseMs}::float8 * power(2, greatest(attempts - 1, 0)), ${backoff.maxMs}::float8) * interval '1 millisecond'`,
    })
    .where('order_id', '=', call.orderId)
    .where('action', '=', call.action)
    .execute();
}

/** No retry can help: keep the call, with why, for a person. */
export async function parkReservationCall(
  db: OrderDb,
  call: { orderId: string; action: ReservationAction },
  reason: string,
): Promise<void> {
  await db
    .updateTable('orders.reservation_call')
    .set({ last_error: reason.slice(0, 1000), parked_at: sql<Date>`now()` })
    .where('order_id', '=', call.orderId)
    .where('action', '=', call.action)
    .execute();
}

/** How many calls wait to be delivered and how many are parked (for the `shopgraph_reservation_calls` gauge). */
export async function countReservationCalls(db: OrderDb): Promise<{ pending: number; parked: number }> {
  const row = await db
    .selectFrom('orders.reservation_call')
    .select((eb) => [
      eb.fn.countAll<number>().filterWhere('parked_at', 'is', null).as('pending'),
      eb.fn.countAll<number>().filterWhere('parked_at', 'is not', null).as('parked'),
    ])
    .executeTakeFirstOrThrow();
  return { pending: Number(row.pending), parked: Number(row.parked) };
}
