import type { NotificationResolvers } from '../generated/graphql.js';

export const notificationResolvers: { Notification: NotificationResolvers } = {
  Notification: {
    order: (row) => ({ id: row.order_id }),
    tracking: (row) =>
      row.tracking_carrier && row.tracking_number
        ? { carrier: row.tracking_carrier, trackingNumber: row.tracking_number }
        : null,
    occurredAt: (row) => row.occurred_at,
  },
};
