import { createLogger } from '@shopgraph/lib';
import type { ReservationResult } from '@shopgraph/schema';
import type { Kysely } from 'kysely';
import type { OrderDatabase } from '../database.js';
import type { InventoryProxy } from '../inventory/inventory.proxy.js';
import { deleteReservationCall, rescheduleReservationCall } from './reservation-call.repository.js';
import type { ReservationAction } from './reservation-call.table.js';

const log = createLogger('order.reservation-calls');

/** How long the request path has a new call to itself before dispatchers may take it. */
export const REQUEST_PATH_GRACE_MS = 30_000;
/** Back-off between deliveries of a failing call. */
export const CALL_BACKOFF = { baseMs: 1000, maxMs: 300_000 };

export interface ReservationCall {
  orderId: string;
  action: ReservationAction;
  actor: string;
}

/**
 * What delivering a call came to: done (inventory answered and the row is
 * gone), retry (inventory could not answer; rescheduled), or lost (a confirm
 * inventory refused: the reservation expired and its stock is gone, or never
 * existed; the row stays for the caller to resolve).
 */
export type CallOutcome = { kind: 'done' } | { kind: 'retry' } | { kind: 'lost'; code: string; message: string };

/**
 * Makes one reservation call and records its outcome. Inventory's answers
 * are idempotent, so delivering the same call twice is harmless.
 */
export async function deliverReservationCall(
  db: Kysely<OrderDatabase>,
  inventory: InventoryProxy,
  call: ReservationCall,
): Promise<CallOutcome> {
  let result: ReservationResult;
  try {
    result =
      call.action === 'CONFIRM'
        ? await inventory.confirm(call.orderId, call.actor)
        : await inventory.release(call.orderId, call.actor);
  } catch (error) {
    log.info({ err: error, ...call }, 'reservation call failed; it will be retried');
    await rescheduleReservationCall(db, call, error instanceof Error ? error.message : String(error), CALL_BACKOFF);
    return { kind: 'retry' };
  }
  // A confirm of a released reservation: the order was cancelled meanwhile, nothing to confirm.
  const refusal = result.ok ? undefined : result.userErrors.find((e) => e.code !== 'RESERVATION_RELEASED');
  if (!refusal) {
    await deleteReservationCall(db, call.orderId, call.action);
    return { kind: 'done' };
  }
  return { kind: 'lost', code: refusal.code, message: refusal.message };
}
