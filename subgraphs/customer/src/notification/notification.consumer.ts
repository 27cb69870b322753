import { createLogger, type EventConsumer } from '@shopgraph/lib';
import type { OrderEvent } from '@shopgraph/schema';
import type { Kysely } from 'kysely';
import type { CustomerDatabase } from '../database.js';
import { applyOnce } from '../inbox/inbox.service.js';
import { insertNotification } from './notification.repository.js';
import { notificationFor } from './notification.service.js';

export const NOTIFICATIONS_CONSUMER = 'customer.notifications';

const mailLog = createLogger('events.notifications.mail');

/**
 * Records a customer-facing notification for every order event (readable as
 * `Customer.notifications`), once per event. Every event is kept, also one
 * that arrives after a later event of its order: it is still true history,
 * and the list is ordered by when things happened.
 */
export function notificationsConsumer(db: Kysely<CustomerDatabase>): EventConsumer<OrderEvent> {
  return {
    name: NOTIFICATIONS_CONSUMER,
    routingKeys: ['order.created', 'order.updated'],
    async handle(event) {
      let created: Awaited<ReturnType<typeof insertNotification>> | undefined;
      await applyOnce(db, NOTIFICATIONS_CONSUMER, event, async (trx) => {
        created = await insertNotification(trx, notificationFor(event));
      });
      if (created) {
        // Where a mail sender plugs in: after the commit, once per notification.
        mailLog.info(
          {
            notificationId: created.id,
            customerId: created.customer_id,
            orderId: created.order_id,
            kind: created.kind,
            title: created.title,
          },
          'notification ready to send',
        );
      }
    },
  };
}
