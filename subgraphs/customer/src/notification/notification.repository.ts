import type { NewestFirstPosition } from '@shopgraph/lib';
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
