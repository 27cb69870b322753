import { sql, type Transaction } from 'kysely';
import type { InventoryDatabase, InventoryDb } from '../database.js';
import type { NewReservationRow, ReservationLineRow, ReservationRow } from './reservation.table.js';

/** A reservation with the milliseconds left until it expires, by the database's clock. */
export type ReservationState = ReservationRow & { expires_in_ms: number | null };

const withExpiry = sql<number | null>`
  case when expires_at is null then null
       else greatest(0, floor(extract(epoch from (expires_at - clock_timestamp())) * 1000))::int8 end`;

/**
 * Inserts a reservation unless one exists for its order id. A concurrent
 * transaction inserting the same order id makes this wait until it ends:
 * then this resolves to undefined when that one committed.
 */
export async function claimReservation(
  trx: Transaction<InventoryDatabase>,
  row: Omit<NewReservationRow, 'expires_at'>,
  ttlMs: number | null,
): Promise<ReservationState | undefined> {
  return trx
    .insertInto('inventory.reservation')
    .values({
      ...row,
      expires_at: ttlMs === null ? null : sql<Date>`now() + ${ttlMs}::float8 * interval '1 millisecond'`,
    })
    .onConflict((oc) => oc.column('order_id').doNothing())
    .returningAll()
    .returning(withExpiry.as('expires_in_ms'))
    .executeTakeFirst();
}

/** A reservation, locked for a state change when `lock` is set. */
export async function findReservation(
  db: InventoryDb,
  orderId: string,
  lock: 'for update' | 'none' = 'none',
): Promise<ReservationState | undefined> {
  let q = db.selectFrom('inventory.reservation').selectAll().select(withExpiry.as('expires_in_ms'));
  q = q.where('order_id', '=', orderId);
  return (lock === 'for update' ? q.forUpdate() : q).executeTakeFirst();
}

/** Moves a locked reservation to a new status. */
export async function setReservationStatus(
  trx: Transaction<InventoryDatabase>,
  orderId: string,
  changes: { status: ReservationRow['status']; expires_at?: null },
): Promise<ReservationState> {
  return trx
    .updateTable('inventory.reservation')
    .set({ ...changes, updated_at: sql<Date>`now()` })
    .where('order_id', '=', orderId)
    .returningAll()
    .returning(withExpiry.as('expires_in_ms'))
    .executeTakeFirstOrThrow();
}

export async function insertReservationLines(
  trx: Transaction<InventoryDatabase>,
  lines: readonly ReservationLineRow[],
): Promise<void> {
  if (lines.length > 0) await trx.insertInto('inventory.reservation_line').values(lines).execute();
}

/** A reservation's lines in request order. */
export async function findReservationLines(db: InventoryDb, orderId: string): Promise<ReservationLineRow[]> {
  return db
    .selectFrom('inventory.reservation_line')
    .selectAll()
    .where('order_id', '=', orderId)
    .orderBy('line_no')
    .execute();
}

/** Order ids of RESERVED reservations past their expiry, oldest first. */
export async function findExpiredReservations(db: InventoryDb, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('inventory.reservation')
    .select('order_id')
    .where('status', '=', 'RESERVED')
    .where('expires_at', '<=', sql<Date>`now()`)
    .orderBy('expires_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.order_id);
}

/**
 * Locks one reservation if it is still RESERVED and past its expiry, skipping
 * it when another sweeper (or a confirm) holds it.
 */
export async function lockExpiredReservation(
  trx: Transaction<InventoryDatabase>,
  orderId: string,
): Promise<ReservationRow | undefined> {
  return trx
    .selectFrom('inventory.reservation')
    .selectAll()
    .where('order_id', '=', orderId)
    .where('status', '=', 'RESERVED')
    .where('expires_at', '<=', sql<Date>`now()`)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
}
