import {
  envelopeDecoder,
  loadEventSchema,
  startConsumer,
  type EventTransport,
  type Subscription,
} from '@shopgraph/lib';
import type { OrderEvent } from '@shopgraph/order';
import type { Kysely } from 'kysely';
import type { CustomerDatabase } from './database.js';
import { notificationsConsumer } from './notification/notification.consumer.js';
import { orderStatsConsumer } from './order-stats/order-stats.consumer.js';

/** Decodes and validates an order event against schema/events/order-events.schema.json. */
export const decodeOrderEvent = envelopeDecoder<OrderEvent>(loadEventSchema('order-events'));

/** The customer subgraph's order event consumers. */
export const customerConsumers = (db: Kysely<CustomerDatabase>) => [orderStatsConsumer(db), notificationsConsumer(db)];

/** Starts every consumer of the customer subgraph on `transport`; cancel them on shutdown. */
export async function startCustomerConsumers(
  db: Kysely<CustomerDatabase>,
  transport: EventTransport,
): Promise<Subscription> {
  const subscriptions = await Promise.all(
    customerConsumers(db).map((consumer) => startConsumer(transport, decodeOrderEvent, consumer)),
  );
  return { cancel: async () => void (await Promise.all(subscriptions.map((s) => s.cancel()))) };
}
