import {
  canActFor,
  createLogger,
  refusalAsResult,
  Refused,
  refuse,
  succeed,
  transactionWithRetry,
  type Viewer,
} from '@shopgraph/lib';
import { normaliseAddress, type AddressFields, type OrderChange } from '@shopgraph/schema';
import type { Kysely, Transaction } from 'kysely';
import type { OrderDatabase } from '../database.js';
import type { Neighbours } from '../neighbours.js';
import { appendOutboxEvent } from '../outbox/outbox.repository.js';
import { scheduleReservationCall } from '../reservation/reservation-call.repository.js';
import { deliverReservationCall, REQUEST_PATH_GRACE_MS } from '../reservation/reservation-call.service.js';
import { ADDRESS_CHANGEABLE, canTransition } from './order.lifecycle.js';
import { orderNotFound, type OrderResult, type OrderUserError } from './order.errors.js';
import { insertStatusChange, lockOrder, updateOrder } from './order.repository.js';
import type { OrderRow, OrderStatus, OrderUpdate } from './order.table.js';

const log = createLogger('order.status');

export type StatusChangeRequest =
  | { to: 'PAID' }
  | { to: 'SHIPPED'; carrier: string; trackingNumber: string }
  | { to: 'DELIVERED' }
  | { to: 'CANCELLED'; reason?: string | null | undefined };

/** Locks the order and checks the caller may see it; an unknown or foreign order is ORDER_NOT_FOUND. */
async function lockVisibleOrder(trx: Transaction<OrderDatabase>, viewer: Viewer, id: string): Promise<OrderRow> {
  const order = await lockOrder(trx, id);
  if (!order || !canActFor(viewer, order.customer_id)) throw new Refused([orderNotFound()]);
  return order;
}

/** Writes the `order.updated` event for a change the same transaction just made. */
async function recordUpdate(
  trx: Transaction<OrderDatabase>,
  before: OrderRow,
  after: OrderRow,
  changed: OrderChange[],
  reason?: string | null,
) {
  await appendOutboxEvent(trx, {
    type: 'order.updated',
    aggregateId: after.id,
    aggregateVersion: after.version,
    occurredAt: after.updated_at,
    data: {
      orderId: after.id,
      customerId: after.customer_id,
      previousStatus: before.status,
      status: after.status,
      total: { amountMinor: after.total_minor, currency: after.currency.trim() },
      placedAt: after.placed_at.toISOString(),
      changed,
      tracking:
        after.carrier && after.tracking_number
          ? { carrier: after.carrier, trackingNumber: after.tracking_number }
          : null,
      ...(reason ? { reason } : {}),
    },
  });
}

function checkTracking(request: StatusChangeRequest): OrderUserError[] {
  if (request.to !== 'SHIPPED') return [];
  const errors: OrderUserError[] = [];
  for (const [field, value] of [
    ['carrier', request.carrier],
    ['trackingNumber', request.trackingNumber],
  ] as const) {
    const length = value.trim().length;
    if (length === 0 || length > 100) {
      errors.push({
        field: ['input', field],
        code: 'INVALID_TRACKING',
        message: `${field} must be 1 to 100 characters`,
      });
    }
  }
  return errors;
}

/**
 * Moves an order to a new status under its row lock, following the one
 * transition table: concurrent changes to one order queue on the lock, so only
 * one of two conflicting changes can win. Records the status history and an
 * `order.updated` event in the same transaction. Cancelling also records a
 * RELEASE reservation call there, and makes it once committed: the stock is
 * back when this returns if inventory is up, and later (at least once) if not
 * (docs/adr/0014). Who may ask is checked by the resolver (admins for PAID,
 * SHIPPED, DELIVERED); a customer may cancel only their own PENDING order.
 */
export async function changeOrderStatus(
  db: Kysely<OrderDatabase>,
  neighbours: Neighbours,
  viewer: Viewer,
  orderId: string,
  request: StatusChangeRequest,
): Promise<OrderResult> {
  const trackingErrors = checkTracking(request);
  if (trackingErrors.length > 0) return refuse(...trackingErrors);
  const result = await refusalAsResult(() =>
    transactionWithRetry(db, async (trx): Promise<OrderResult> => {
      const order = await lockVisibleOrder(trx, viewer, orderId);
      const to: OrderStatus = request.to;
      const customerMayCancel = viewer.role === 'ADMIN' || order.status === 'PENDING';
      if (!canTransition(order.status, to) || (to === 'CANCELLED' && !customerMayCancel)) {
        return refuse({
          field: ['id'],
          code: 'INVALID_TRANSITION',
          message:
            to === 'CANCELLED' && canTransition(order.status, to)
              ? `Only an admin can cancel a ${order.status} order`
              : `An order cannot move from ${order.status} to ${to}`,
          currentStatus: order.status,
          requestedStatus: to,
        });
      }
      const changes: OrderUpdate = { status: to };
      const changed: OrderChange[] = ['status'];
      let note: string | null = null;
      if (request.to === 'SHIPPED') {
        changes.carrier = request.carrier.trim();
        changes.tracking_number = request.trackingNumber.trim();
        changed.push('tracking');
      }
      if (request.to === 'CANCELLED') {
        note = request.reason?.trim().slice(0, 500) || null;
        changes.cancel_reason = note;
        await scheduleReservationCall(
          trx,
          { orderId: order.id, action: 'RELEASE', actor: viewer.customerId },
          REQUEST_PATH_GRACE_MS,
        );
      }
      const updated = await updateOrder(trx, order.id, changes);
      await insertStatusChange(trx, { order_id: order.id, status: to, actor_id: viewer.customerId, note });
      await recordUpdate(trx, order, updated, changed, note);
      return succeed({ order: updated });
    }),
  );
  if (result.ok && request.to === 'CANCELLED') {
    const call = { orderId: result.order.id, action: 'RELEASE' as const, actor: viewer.customerId };
    await deliverReservationCall(db, neighbours.inventory, call).catch((error: unknown) =>
      log.warn({ err: error, orderId: call.orderId }, 'stock release left to the dispatcher'),
    );
  }
  return result;
}

/** Replaces where an order ships, until it has shipped. */
export async function updateShippingAddress(
  db: Kysely<OrderDatabase>,
  viewer: Viewer,
  orderId: string,
  input: AddressFields,
): Promise<OrderResult> {
  const { address, problems } = normaliseAddress(input);
  if (problems.length > 0) {
    return refuse(
      ...problems.map((p): OrderUserError => ({
        field: ['address', p.field],
        code: 'INVALID_ADDRESS',
        message: p.message,
      })),
    );
  }
  return refusalAsResult(() =>
    transactionWithRetry(db, async (trx): Promise<OrderResult> => {
      const order = await lockVisibleOrder(trx, viewer, orderId);
      if (!ADDRESS_CHANGEABLE.includes(order.status)) {
        return refuse({
          field: ['id'],
          code: 'ALREADY_SHIPPED',
          message: `The shipping address of a ${order.status} order cannot change`,
          currentStatus: order.status,
        });
      }
      const updated = await updateOrder(trx, order.id, { shipping_address: JSON.stringify(address) });
      await recordUpdate(trx, order, updated, ['shippingAddress']);
      return succeed({ order: updated });
    }),
  );
}
