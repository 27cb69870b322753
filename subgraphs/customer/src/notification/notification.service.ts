import { formatMinorUnits, newestFirstPage, type Connection } from '@shopgraph/lib';
import type { OrderEvent } from '@shopgraph/schema';
import type { CustomerDb } from '../database.js';
import { listNotifications } from './notification.repository.js';
import type { NewNotificationRow, NotificationKind, NotificationRow } from './notification.table.js';

const NEWEST = 'notified';

/** The customer-facing notification an order event becomes. */
export function notificationFor(event: OrderEvent): NewNotificationRow {
  const { data } = event;
  const order = `order ${data.orderId.slice(0, 8)}`;
  const total = `${formatMinorUnits(data.total.amountMinor)} ${data.total.currency}`;
  const base = {
    customer_id: data.customerId,
    event_id: event.id,
    order_id: data.orderId,
    occurred_at: new Date(event.occurredAt),
    tracking_carrier: null,
    tracking_number: null,
  };
  const note = (kind: NotificationKind, title: string, message: string) => ({ ...base, kind, title, message });

  if (event.type === 'order.created') {
    const items = event.data.lines.reduce((sum, line) => sum + line.quantity, 0);
    return note(
      'ORDER_CONFIRMED',
      'Order confirmed',
      `Thank you! We received your ${order}: ${items} item${items === 1 ? '' : 's'}, ${total}.`,
    );
  }
  const update = event.data;
  const tracking = update.tracking ?? null;
  const statusChanged = update.changed.includes('status') && update.status !== update.previousStatus;
  if (statusChanged && update.status === 'PAID') {
    return note('PAYMENT_RECEIVED', 'Payment received', `We received your payment of ${total} for ${order}.`);
  }
  if (statusChanged && update.status === 'SHIPPED') {
    return {
      ...note(
        'ORDER_SHIPPED',
        'Your order has shipped',
        tracking
          ? `Your ${order} is on its way with ${tracking.carrier}, tracking number ${tracking.trackingNumber}.`
          : `Your ${order} is on its way.`,
      ),
      tracking_carrier: tracking?.carrier ?? null,
      tracking_number: tracking?.trackingNumber ?? null,
    };
  }
  if (statusChanged && update.status === 'DELIVERED') {
    return note('ORDER_DELIVERED', 'Your order was delivered', `Your ${order} was delivered. Enjoy!`);
  }
  if (statusChanged && update.status === 'CANCELLED') {
    const reason = update.reason ? ` Reason: ${update.reason}.` : '';
    return note(
      'ORDER_CANCELLED',
      'Your order was cancelled',
      `Your ${order} was cancelled; you will not be charged ${total}.${reason}`,
    );
  }
  return {
    ...note(
      'ORDER_UPDATED',
      'Your order was updated',
      tracking
        ? `Your ${order} now travels with ${tracking.carrier}, tracking number ${tracking.trackingNumber}.`
        : `Your ${order} was updated.`,
    ),
    tracking_carrier: tracking?.carrier ?? null,
    tracking_number: tracking?.trackingNumber ?? null,
  };
}

export interface NotificationPageArgs {
  first?: number | null | undefined;
  after?: string | null | undefined;
}

/** A page of a customer's notifications, newest first, with keyset cursors over (occurred_at, id). */
export async function notificationPage(
  db: CustomerDb,
  customerId: string,
  args: NotificationPageArgs,
): Promise<Connection<NotificationRow>> {
  return newestFirstPage(
    args,
    NEWEST,
    (row) => row.occurred_at,
    (limit, after) => listNotifications(db, { customerId, limit, after }),
  );
}
