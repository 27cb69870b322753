import { retryAvailableAt, type FailureBackoff, type NewestFirstPosition } from '@shopgraph/lib';
import { sql } from 'kysely';
import type { CustomerDb } from '../database.js';
import type { NewNotificationRow, NotificationRow } from './notification.table.js';

export async function insertNotification(db: CustomerDb, row: NewNotificationRow): Promise<NotificationRow> {
  return db.insertInto('customer.notification').values(row).returningAll().executeTakeFirstOrThrow();
}

export interface NotificationPageQuery {
  customerId: string;
  limit: number;
  /** Keyset position: (occurred_at, id) of the last row of the previous page. */
  after?: NewestFirstPosition | undefined;
}

/** One page of a customer's notifications, newest first, with one extra row to detect a next page. */
export async function listNotifications(db: CustomerDb, query: NotificationPageQuery): Promise<NotificationRow[]> {
  let q = db.selectFrom('customer.notification').selectAll().where('customer_id', '=', query.customerId);
  if (query.after) {
    const { at, id } = query.after;
    q = q.where((eb) => eb(eb.refTuple('occurred_at', 'id'), '<', eb.tuple(at, id)));
  }
  return q
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
}

/** The NOTIFY channel that wakes the dispatcher when notifications commit. */
export const NOTIFICATION_CHANNEL = 'customer_notifications';

/** Queues a notification for the sender, in the transaction that creates it, and wakes the dispatcher on commit. */
export async function queueDispatch(db: CustomerDb, notificationId: string): Promise<void> {
  await db.insertInto('customer.notification_dispatch').values({ notification_id: notificationId }).execute();
  await sql`select pg_notify(${NOTIFICATION_CHANNEL}, '')`.execute(db);
}

/**
 * Up to `limit` notifications due for the sender, oldest first, their
 * dispatch rows locked for this transaction; rows another dispatcher holds
 * are skipped, so dispatchers run side by side without sending one twice.
 */
export async function lockDueDispatches(db: CustomerDb, limit: number): Promise<NotificationRow[]> {
  return db
    .selectFrom('customer.notification_dispatch as d')
    .innerJoin('customer.notification as n', 'n.id', 'd.notification_id')
    .selectAll('n')
    .where('d.available_at', '<=', sql<Date>`now()`)
    .orderBy('d.available_at')
    .limit(limit)
    .forUpdate('d')
    .skipLocked()
    .execute();
}

/** The sender has these: they leave the dispatch outbox. */
export async function deleteDispatches(db: CustomerDb, notificationIds: readonly string[]): Promise<void> {
  if (notificationIds.length === 0) return;
  await db.deleteFrom('customer.notification_dispatch').where('notification_id', 'in', notificationIds).execute();
}

/** The sender refused one: counted, explained, and tried again after a back-off. */
export async function markDispatchFailed(
  db: CustomerDb,
  failure: { id: string; reason: string },
  backoff: FailureBackoff,
): Promise<void> {
  await db
    .updateTable('customer.notification_dispatch')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      last_error: failure.reason.slice(0, 1000),
      available_at: retryAvailableAt(backoff),
    }))
    .where('notification_id', '=', failure.id)
    .execute();
}
