import type { EventConsumer } from '@shopgraph/lib';
import type { OrderEvent } from '@shopgraph/schema';
import type { Kysely } from 'kysely';
import type { CustomerDatabase } from '../database.js';
import { applyOnce } from '../inbox/inbox.service.js';
import { insertNotification, queueDispatch } from './notification.repository.js';
import { notificationFor } from './notification.service.js';

export const NOTIFICATIONS_CONSUMER = 'customer.notifications';

/**
 * Records a customer-facing notification for every order event (readable as
 * `Customer.notifications`), once per event, and queues it for the sender in
 * the same transaction (the dispatcher hands it over: at least once, by id).
 * Every event is kept, also one that arrives after a later event of its
 * order: it is still true history, and the list is ordered by when things
 * happened.
 */
export function notificationsConsumer(db: Kysely<CustomerDatabase>): EventConsumer<OrderEvent> {
  return {
    name: NOTIFICATIONS_CONSUMER,
    routingKeys: ['order.created', 'order.updated'],
    async handle(event) {
      await applyOnce(db, NOTIFICATIONS_CONSUMER, event, async (trx) => {
        const created = await insertNotification(trx, notificationFor(event));
        await queueDispatch(trx, created.id);
      });
    },
  };
}
