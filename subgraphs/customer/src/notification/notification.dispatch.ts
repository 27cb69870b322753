import {
  createLogger,
  env,
  LogPublisher,
  OutboxRelay,
  WebhookPublisher,
  postgresWakeups,
  type FailureBackoff,
  type ListenSource,
  type MessagePublisher,
  type OutboxStore,
  type RelayOptions,
} from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { CustomerDatabase } from '../database.js';
import {
  deleteDispatches,
  lockDueDispatches,
  markDispatchFailed,
  NOTIFICATION_CHANNEL,
} from './notification.repository.js';
import type { NotificationRow } from './notification.table.js';

/** What the sender receives for a notification; `id` is the notification id, its deduplication key. */
export interface NotificationMessage {
  id: string;
  customerId: string;
  orderId: string;
  kind: string;
  title: string;
  message: string;
  tracking: { carrier: string; trackingNumber: string } | null;
  occurredAt: string;
}

export function notificationMessage(row: NotificationRow): NotificationMessage {
  return {
    id: row.id,
    customerId: row.customer_id,
    orderId: row.order_id,
    kind: row.kind,
    title: row.title,
    message: row.message,
    tracking:
      row.tracking_carrier && row.tracking_number
        ? { carrier: row.tracking_carrier, trackingNumber: row.tracking_number }
        : null,
    occurredAt: row.occurred_at.toISOString(),
  };
}

/**
 * The notification dispatch outbox as a relay store: each batch is one
 * transaction that locks due rows (skipping those another dispatcher holds),
 * hands them to the sender, and deletes the ones it took. A crash anywhere
 * before that commit leaves the rows for the next attempt: the sender may see
 * a notification twice, never zero times, and deduplicates by its id.
 */
export function notificationDispatchStore(db: Kysely<CustomerDatabase>, failureBackoff: FailureBackoff): OutboxStore {
  return {
    relayBatch: (limit, publish) =>
      db.transaction().execute(async (trx) => {
        const rows = await lockDueDispatches(trx, limit);
        if (rows.length === 0) return { fetched: 0, published: 0, failed: 0 };
        const outcome = await publish(
          rows.map((row) => ({
            id: row.id,
            type: `notification.${row.kind}`,
            body: Buffer.from(JSON.stringify(notificationMessage(row)), 'utf8'),
          })),
        );
        await deleteDispatches(trx, outcome.published);
        for (const failure of outcome.failed) await markDispatchFailed(trx, failure, failureBackoff);
        return { fetched: rows.length, published: outcome.published.length, failed: outcome.failed.length };
      }),
    // Handed-over rows are deleted at once: nothing to prune.
    prune: async () => 0,
  };
}

export interface NotificationDispatcherOptions {
  db: Kysely<CustomerDatabase>;
  /** The sender: a webhook to a mail service, or the log. */
  sender: MessagePublisher;
  /** Where to LISTEN for new notifications: the same database as `db`. */
  listen: ListenSource;
  relay?: Partial<RelayOptions> | undefined;
  failureBackoff?: FailureBackoff | undefined;
}

/** Starts handing queued notifications to the sender in the background; `stop()` it on shutdown. */
export async function startNotificationDispatcher(options: NotificationDispatcherOptions): Promise<OutboxRelay> {
  const dispatcher = new OutboxRelay(
    notificationDispatchStore(options.db, options.failureBackoff ?? { baseMs: 1000, maxMs: 300_000 }),
    options.sender,
    { batchSize: 50, pollIntervalMs: 1000, retentionMs: 0, pruneIntervalMs: Number.MAX_SAFE_INTEGER, ...options.relay },
    postgresWakeups(options.listen, NOTIFICATION_CHANNEL),
  );
  await dispatcher.start();
  return dispatcher;
}

/** Notification delivery settings (README: Configuration). */
export const notificationEnvShape = {
  /** Hand notifications to the sender from this process. */
  NOTIFICATION_DISPATCH: env.bool(true),
  /** The sender: each notification is POSTed here with its id as Idempotency-Key; unset, they are only logged. */
  NOTIFICATION_WEBHOOK_URL: env.url().optional(),
  NOTIFICATION_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
};

/** The sender the environment names: the webhook, or the log. */
export function notificationSender(config: {
  NOTIFICATION_WEBHOOK_URL?: string | undefined;
  NOTIFICATION_WEBHOOK_TIMEOUT_MS: number;
}): MessagePublisher {
  if (config.NOTIFICATION_WEBHOOK_URL) {
    return new WebhookPublisher({
      url: config.NOTIFICATION_WEBHOOK_URL,
      timeoutMs: config.NOTIFICATION_WEBHOOK_TIMEOUT_MS,
    });
  }
  return new LogPublisher(createLogger('notifications.sender'), 'notification ready to send');
}
