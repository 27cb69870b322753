import { createLogger, type Viewer } from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import type { OrderDatabase } from '../database.js';
import type { Neighbours } from '../neighbours.js';
import { changeOrderStatus } from '../order/order-status.service.js';
import { leaseDueReservationCalls, parkReservationCall } from './reservation-call.repository.js';
import { deliverReservationCall, type CallOutcome, type ReservationCall } from './reservation-call.service.js';

const log = createLogger('order.reservation-calls');

/** Who cancels an order whose stock was lost: recorded as the actor of the status change. */
export const SYSTEM_VIEWER: Viewer = { customerId: '00000000-0000-0000-0000-000000000000', role: 'ADMIN' };
export const STOCK_LOST_REASON = 'stock reservation expired before confirmation';

/**
 * Delivers a reservation call and resolves what inventory could not: a
 * confirm refused because the reservation expired and its stock is gone
 * (docs/adr/0014) cancels the order as the system, which notifies the
 * customer through `order.updated` and makes the reservation final with a
 * RELEASE. An order that can no longer be cancelled (it has shipped) parks
 * the call and logs an error for a person: nothing is oversold silently.
 */
export async function settleReservationCall(
  db: Kysely<OrderDatabase>,
  neighbours: Neighbours,
  call: ReservationCall,
): Promise<CallOutcome> {
  const outcome = await deliverReservationCall(db, neighbours.inventory, call);
  if (outcome.kind !== 'lost') return outcome;
  const cancelled = await changeOrderStatus(db, neighbours, SYSTEM_VIEWER, call.orderId, {
    to: 'CANCELLED',
    reason: STOCK_LOST_REASON,
  });
  const status = cancelled.ok ? 'CANCELLED' : cancelled.userErrors[0]?.currentStatus;
  if (status === 'CANCELLED') {
    // The cancellation replaced the CONFIRM call with a RELEASE.
    log.warn({ orderId: call.orderId, code: outcome.code }, 'order cancelled: its stock reservation was lost');
    return { kind: 'done' };
  }
  const reason = `${outcome.code}: ${outcome.message}; the order is ${status ?? 'unknown'} and cannot be cancelled`;
  log.error({ orderId: call.orderId, code: outcome.code, status }, `stock reservation lost: ${reason}`);
  await parkReservationCall(db, call, reason);
  return outcome;
}

export interface DispatcherOptions {
  /** How often due calls are looked for. */
  pollIntervalMs: number;
  /** Calls taken per round (default 8); a full round is followed by the next at once. */
  batchSize?: number | undefined;
  /**
   * Calls in flight at once (default 4). Kept small so that a backlog (every
   * confirmation that failed during an outage comes due together) never
   * crowds out the requests inventory serves meanwhile.
   */
  concurrency?: number | undefined;
  /** How long a taken call is kept from other dispatchers: longer than a call may take. */
  leaseMs: number;
}

/**
 * Delivers due reservation calls in the background, at least once each, with
 * back-off, until inventory answers. Any number of order processes may run
 * one: calls are leased with `skip locked`. Resolves to a function that stops
 * it after the round in hand.
 */
export function startReservationCallDispatcher(
  db: Kysely<OrderDatabase>,
  neighbours: Neighbours,
  options: DispatcherOptions,
): () => Promise<void> {
  const batchSize = options.batchSize ?? 8;
  const concurrency = options.concurrency ?? 4;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> | undefined;
  const run = async () => {
    let next = options.pollIntervalMs;
    try {
      const calls = await leaseDueReservationCalls(db, batchSize, options.leaseMs);
      for (let i = 0; i < calls.length && !stopped; i += concurrency) {
        await Promise.all(
          calls.slice(i, i + concurrency).map((row) =>
            settleReservationCall(db, neighbours, {
              orderId: row.order_id,
              action: row.action,
              actor: row.actor,
            }).catch((error: unknown) =>
              log.warn({ err: error, orderId: row.order_id }, 'reservation call not settled'),
            ),
          ),
        );
      }
      if (calls.length === batchSize) next = 0;
    } catch (error) {
      log.warn({ err: error }, 'reservation call round failed; retrying');
    }
    if (!stopped) timer = setTimeout(() => (round = run()), next);
  };
  timer = setTimeout(() => (round = run()), options.pollIntervalMs);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await round;
  };
}
