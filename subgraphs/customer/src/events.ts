import { createLogger, envelopeDecoder, startConsumer, type EventTransport, type Subscription } from '@shopgraph/lib';
import { loadEventSchema, type OrderEvent } from '@shopgraph/schema';
import type { Kysely } from 'kysely';
import type { CustomerDatabase } from './database.js';
import { pruneInbox } from './inbox/inbox.repository.js';
import { notificationsConsumer } from './notification/notification.consumer.js';
import { orderStatsConsumer } from './order-stats/order-stats.consumer.js';

/** Decodes and validates an order event against schema/events/order-events.schema.json. */
export const decodeOrderEvent = envelopeDecoder<OrderEvent>(loadEventSchema('order-events'));

/** The customer subgraph's order event consumers. */
export const customerConsumers = (db: Kysely<CustomerDatabase>) => [orderStatsConsumer(db), notificationsConsumer(db)];

const log = createLogger('events.inbox');

export interface CustomerConsumerOptions {
  /** How long processed event ids are remembered; a redelivery later than this would apply again. */
  inboxRetentionMs?: number | undefined;
}

/**
 * Starts every consumer of the customer subgraph on `transport`, and prunes
 * the inbox hourly; cancel them on shutdown.
 */
export async function startCustomerConsumers(
  db: Kysely<CustomerDatabase>,
  transport: EventTransport,
  options: CustomerConsumerOptions = {},
): Promise<Subscription> {
  const subscriptions = await Promise.all(
    customerConsumers(db).map((consumer) => startConsumer(transport, decodeOrderEvent, consumer)),
  );
  const retentionMs = options.inboxRetentionMs ?? 30 * 86_400_000;
  const prune = () =>
    pruneInbox(db, new Date(Date.now() - retentionMs)).then(
      (deleted) => deleted > 0 && log.info({ deleted }, 'pruned the event inbox'),
      (error: unknown) => log.warn({ err: error }, 'could not prune the event inbox'),
    );
  const timer = setInterval(() => void prune(), 3_600_000).unref();
  return {
    cancel: async () => {
      clearInterval(timer);
      await Promise.all(subscriptions.map((s) => s.cancel()));
    },
  };
}
