import type { Generated, Insertable, Selectable } from 'kysely';

export type NotificationKind =
  'ORDER_CONFIRMED' | 'PAYMENT_RECEIVED' | 'ORDER_SHIPPED' | 'ORDER_DELIVERED' | 'ORDER_CANCELLED' | 'ORDER_UPDATED';

/** customer.notification: customer-facing messages about their orders, one per order event. */
export interface NotificationTable {
  id: Generated<string>;
  customer_id: string;
  /** The order event it was made from. */
  event_id: string;
  order_id: string;
  kind: NotificationKind;
  title: string;
  message: string;
  tracking_carrier: string | null;
  tracking_number: string | null;
  /** When the order event happened; notifications are listed newest first by it. */
  occurred_at: Date;
  created_at: Generated<Date>;
}

export type NotificationRow = Selectable<NotificationTable>;

/**
 * customer.notification_dispatch: notifications not yet handed to the sender,
 * written with the notification and deleted once the sender took it.
 */
export interface NotificationDispatchTable {
  notification_id: string;
  attempts: Generated<number>;
  last_error: string | null;
  available_at: Generated<Date>;
  created_at: Generated<Date>;
}
export type NewNotificationRow = Insertable<NotificationTable>;

/** A reference to an entity another subgraph resolves. */
export interface EntityRef {
  id: string;
}
