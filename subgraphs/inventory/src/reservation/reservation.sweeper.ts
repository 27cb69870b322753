import { createLogger } from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import type { InventoryDatabase } from '../database.js';
import { expireDueReservations } from './reservation.service.js';

const log = createLogger('inventory.reservation.sweeper');

/**
 * Returns the stock of reservations past their expiry, every `intervalMs`, in
 * the background. Any number of inventory replicas may run one: each
 * reservation is taken with `skip locked`. Resolves to a function that stops
 * it after the round in hand.
 */
export function startReservationSweeper(
  db: Kysely<InventoryDatabase>,
  options: { intervalMs: number; batchSize?: number | undefined },
): () => Promise<void> {
  let round: Promise<void> | undefined;
  const sweep = async () => {
    try {
      // A full batch means more may be due: keep going before sleeping.
      const batch = options.batchSize ?? 100;
      while ((await expireDueReservations(db, batch)) === batch);
    } catch (error) {
      log.warn({ err: error }, 'reservation sweep failed; retrying next round');
    }
  };
  const timer = setInterval(() => {
    round ??= sweep().finally(() => {
      round = undefined;
    });
  }, options.intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await round;
  };
}
