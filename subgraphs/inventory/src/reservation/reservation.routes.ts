import { callerOf, internalRoute } from '@shopgraph/lib';
import { ReservationChange, ReservationRef, ReserveRequest } from '@shopgraph/schema';
import type express from 'express';
import type { Kysely } from 'kysely';
import type { InventoryDatabase } from '../database.js';
import { confirm, findReservationView, release, reserve } from './reservation.service.js';

/**
 * The reservation API (docs/adr/0014), mounted on the internal router under
 * /internal/v1: thin handlers over the reservation service.
 */
export function reservationRoutes(db: Kysely<InventoryDatabase>, options: { ttlMs: number }) {
  return (router: express.Router): void => {
    router.post(
      '/reservations',
      internalRoute(ReserveRequest, (input, res) => reserve(db, { ...input, caller: callerOf(res) }, options.ttlMs)),
    );
    router.get(
      '/reservations/:orderId',
      internalRoute(ReservationRef, ({ orderId }) => findReservationView(db, orderId)),
    );
    router.post(
      '/reservations/:orderId/confirm',
      internalRoute(ReservationChange, ({ orderId, actor }) => confirm(db, orderId, actor)),
    );
    router.post(
      '/reservations/:orderId/release',
      internalRoute(ReservationChange, ({ orderId, actor }, res) => release(db, orderId, actor, callerOf(res))),
    );
  };
}
