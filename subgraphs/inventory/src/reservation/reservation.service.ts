import { createHash } from 'node:crypto';
import {
  createLogger,
  refusalAsResult,
  reservationsExpired,
  Refused,
  refuse,
  succeed,
  transactionWithRetry,
  type Result,
  type UserError,
} from '@shopgraph/lib';
import type { ReservationErrorCode, ReservationView } from '@shopgraph/schema';
import type { Kysely } from 'kysely';
import type { InventoryDatabase } from '../database.js';
import {
  recordConfirmation,
  reserveStock,
  returnStock,
  type StockFailure,
  type StockLine,
} from '../stock/order-stock.service.js';
import {
  claimReservation,
  findExpiredReservations,
  findReservation,
  findReservationLines,
  insertReservationLines,
  lockExpiredReservation,
  setReservationStatus,
  type ReservationState,
} from './reservation.repository.js';
import type { ReservationLineRow } from './reservation.table.js';

/*
 * Stock reservations for orders (docs/adr/0014). Each step takes the
 * reservation's row lock first and the product rows after it, in product id
 * order, in one transaction, so steps of one reservation serialise and steps
 * of different ones never wait on each other in a cycle.
 */

const log = createLogger('inventory.reservation');

/** The ledger actor of the sweeper. */
export const EXPIRY_ACTOR = 'system:expiry';

export type ReservationUserError = UserError<ReservationErrorCode> & { available?: number };
export type ReservationResult = Result<{ reservation: ReservationView }, ReservationUserError>;

export interface ReserveInput {
  orderId: string;
  /** The buyer: kept on the reservation and in the ledger. */
  actor: string;
  lines: readonly StockLine[];
  /** The service asking. */
  caller: string;
}

const refusal = (code: ReservationErrorCode, message: string): ReservationUserError => ({
  field: null,
  code,
  message,
});

/** SHA-256 of the lines with those of one product summed: the same request, however its lines are split or ordered. */
export function reservationHash(lines: readonly StockLine[]): string {
  const totals = new Map<string, number>();
  for (const line of lines) {
    const id = String(line.productId).toLowerCase();
    totals.set(id, (totals.get(id) ?? 0) + line.quantity);
  }
  const canonical = JSON.stringify([...totals].sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash('sha256').update(canonical).digest('hex');
}

function toView(state: ReservationState, lines: readonly ReservationLineRow[]): ReservationView {
  const live = state.status === 'RESERVED' && state.expires_at !== null;
  return {
    orderId: state.order_id,
    status: state.status,
    expiresAt: live ? state.expires_at!.toISOString() : null,
    expiresInMs: live ? Number(state.expires_in_ms) : null,
    lines: lines.map((l) => ({
      productId: l.product_id,
      quantity: l.quantity,
      unitPriceMinor: l.unit_price_minor,
      currency: l.currency.trim(),
    })),
  };
}

const stockLines = (lines: readonly ReservationLineRow[]): StockLine[] =>
  lines.map((l) => ({ productId: l.product_id, quantity: l.quantity }));

const STOCK_MESSAGES: Record<StockFailure['code'], string> = {
  PRODUCT_NOT_FOUND: 'There is no such product',
  PRODUCT_ARCHIVED: 'This product is no longer sold',
  INSUFFICIENT_STOCK: 'Not enough units in stock',
  INVALID_QUANTITY: 'Quantity must be a positive number of units',
};

/** Failing lines as userErrors naming the request's line: `available` on INSUFFICIENT_STOCK. */
function lineErrors(failures: readonly StockFailure[]): ReservationUserError[] {
  return failures.map((f) => ({
    field: [
      'lines',
      String(f.index),
      f.code === 'INSUFFICIENT_STOCK' || f.code === 'INVALID_QUANTITY' ? 'quantity' : 'productId',
    ],
    code: f.code,
    message: f.code === 'INSUFFICIENT_STOCK' ? `Only ${f.available ?? 0} in stock` : STOCK_MESSAGES[f.code],
    ...(f.available === undefined ? {} : { available: f.available }),
  }));
}

/**
 * Reserves stock for an order, all lines or none, for `ttlMs` unless
 * confirmed. Idempotent by order id: the same request again (also while the
 * first is still running: it waits for it) answers with the same
 * reservation; the same order id with other lines is RESERVATION_CONFLICT, and
 * one released or expired is refused as such. A line that cannot be reserved
 * refuses the whole request and nothing is written, not even the
 * reservation.
 */
export async function reserve(
  db: Kysely<InventoryDatabase>,
  input: ReserveInput,
  ttlMs: number,
): Promise<ReservationResult> {
  const hash = reservationHash(input.lines);
  return refusalAsResult(() =>
    transactionWithRetry(db, async (trx): Promise<ReservationResult> => {
      const claimed = await claimReservation(
        trx,
        { order_id: input.orderId, status: 'RESERVED', actor: input.actor, caller: input.caller, request_hash: hash },
        ttlMs,
      );
      if (!claimed) {
        const existing = (await findReservation(trx, input.orderId))!;
        if (existing.request_hash === null || existing.status === 'RELEASED') {
          return refuse(refusal('RESERVATION_RELEASED', 'This order’s reservation was released'));
        }
        if (existing.request_hash !== hash) {
          return refuse(refusal('RESERVATION_CONFLICT', 'This order id was reserved with other lines'));
        }
        if (existing.status === 'EXPIRED') {
          return refuse(refusal('RESERVATION_EXPIRED', 'This order’s reservation expired'));
        }
        return succeed({ reservation: toView(existing, await findReservationLines(trx, input.orderId)) });
      }
      const taken = await reserveStock(trx, input.lines, { reference: input.orderId, actor: input.actor });
      // Throwing rolls back the claim too: a refused reserve leaves no trace.
      if (!taken.ok) throw new Refused(lineErrors(taken.failures));
      const lines = taken.lines.map((l, i) => ({
        order_id: input.orderId,
        line_no: i,
        product_id: l.productId,
        quantity: l.quantity,
        unit_price_minor: l.unitPriceMinor,
        currency: l.currency,
      }));
      await insertReservationLines(trx, lines);
      log.debug({ orderId: input.orderId, lines: lines.length }, 'reserved');
      return succeed({ reservation: toView(claimed, lines) });
    }),
  );
}

/**
 * Confirms a reservation: its stock is sold (one ORDER_CONFIRMED ledger row of
 * zero units per product) and it no longer expires. Idempotent. A RESERVED
 * reservation past its expiry that the sweeper has not reached yet is simply
 * confirmed. An EXPIRED one is reserved again if every line still has the
 * units (ORDER_RESERVED, then ORDER_CONFIRMED); otherwise RESERVATION_EXPIRED
 * and nothing changes. A released one is RESERVATION_RELEASED.
 */
export async function confirm(
  db: Kysely<InventoryDatabase>,
  orderId: string,
  actor: string,
): Promise<ReservationResult> {
  return refusalAsResult(() =>
    transactionWithRetry(db, async (trx): Promise<ReservationResult> => {
      const reservation = await findReservation(trx, orderId, 'for update');
      if (!reservation) return refuse(refusal('RESERVATION_NOT_FOUND', 'There is no reservation for this order'));
      const lines = await findReservationLines(trx, orderId);
      if (reservation.status === 'CONFIRMED') return succeed({ reservation: toView(reservation, lines) });
      if (reservation.status === 'RELEASED') {
        return refuse(refusal('RESERVATION_RELEASED', 'This order’s reservation was released'));
      }
      const ref = { reference: orderId, actor };
      if (reservation.status === 'EXPIRED') {
        const again = await reserveStock(trx, stockLines(lines), ref);
        if (!again.ok) {
          log.warn({ orderId, failures: again.failures }, 'late confirmation of an expired reservation: stock is gone');
          throw new Refused([
            refusal('RESERVATION_EXPIRED', 'The reservation expired and its stock is no longer available'),
          ]);
        }
        log.info({ orderId }, 'late confirmation of an expired reservation: stock reserved again');
      }
      await recordConfirmation(trx, stockLines(lines), ref);
      const confirmed = await setReservationStatus(trx, orderId, { status: 'CONFIRMED', expires_at: null });
      return succeed({ reservation: toView(confirmed, lines) });
    }),
  );
}

/**
 * Releases a reservation: a RESERVED or CONFIRMED one gives its stock back
 * (ORDER_RELEASED rows), an EXPIRED one has already; all become RELEASED,
 * which is final. Idempotent. An unknown order id is recorded as released
 * (a tombstone), so a reserve that arrives later is refused instead of
 * holding stock nobody would release.
 */
export async function release(
  db: Kysely<InventoryDatabase>,
  orderId: string,
  actor: string,
  caller: string,
): Promise<ReservationResult> {
  return transactionWithRetry(db, async (trx): Promise<ReservationResult> => {
    const tombstone = await claimReservation(
      trx,
      { order_id: orderId, status: 'RELEASED', actor, caller, request_hash: null },
      null,
    );
    if (tombstone) return succeed({ reservation: toView(tombstone, []) });
    const reservation = (await findReservation(trx, orderId, 'for update'))!;
    const lines = await findReservationLines(trx, orderId);
    if (reservation.status === 'RELEASED') return succeed({ reservation: toView(reservation, lines) });
    if (reservation.status !== 'EXPIRED') {
      await returnStock(trx, stockLines(lines), { reference: orderId, actor }, 'ORDER_RELEASED');
    }
    const released = await setReservationStatus(trx, orderId, { status: 'RELEASED', expires_at: null });
    log.debug({ orderId, from: reservation.status }, 'released');
    return succeed({ reservation: toView(released, lines) });
  });
}

/** A reservation as it stands. */
export async function findReservationView(db: Kysely<InventoryDatabase>, orderId: string): Promise<ReservationResult> {
  const reservation = await findReservation(db, orderId);
  if (!reservation) return refuse(refusal('RESERVATION_NOT_FOUND', 'There is no reservation for this order'));
  return succeed({ reservation: toView(reservation, await findReservationLines(db, orderId)) });
}

/**
 * Expires up to `limit` reservations past their time: each in its own
 * transaction (so product locks keep their order), skipping one another
 * sweeper or a confirmation holds. Their stock returns with ORDER_EXPIRED
 * rows. Resolves to how many expired.
 */
export async function expireDueReservations(db: Kysely<InventoryDatabase>, limit = 100): Promise<number> {
  let expired = 0;
  for (const orderId of await findExpiredReservations(db, limit)) {
    const done = await transactionWithRetry(db, async (trx) => {
      const reservation = await lockExpiredReservation(trx, orderId);
      if (!reservation) return false;
      const lines = await findReservationLines(trx, orderId);
      await returnStock(trx, stockLines(lines), { reference: orderId, actor: EXPIRY_ACTOR }, 'ORDER_EXPIRED');
      await setReservationStatus(trx, orderId, { status: 'EXPIRED' });
      return true;
    });
    if (done) {
      expired++;
      reservationsExpired.inc();
    }
  }
  if (expired > 0) log.info({ expired }, 'expired reservations returned their stock');
  return expired;
}
