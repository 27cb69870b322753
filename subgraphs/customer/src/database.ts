import type { Kysely, Transaction } from 'kysely';
import type { AddressTable } from './customer/address.table.js';
import type { CustomerTable } from './customer/customer.table.js';
import type { EventInboxTable } from './inbox/inbox.table.js';
import type { LoginThrottleTable } from './login-limit/login-throttle.table.js';
import type { NotificationDispatchTable, NotificationTable } from './notification/notification.table.js';
import type { OrderStatsTable, OrderSummaryTable } from './order-stats/order-stats.table.js';

/** The customer subgraph's tables: its own Postgres schema and nothing else. */
export interface CustomerDatabase {
  'customer.customer': CustomerTable;
  'customer.address': AddressTable;
  'customer.event_inbox': EventInboxTable;
  'customer.order_summary': OrderSummaryTable;
  'customer.order_stats': OrderStatsTable;
  'customer.notification': NotificationTable;
  'customer.login_throttle': LoginThrottleTable;
  'customer.notification_dispatch': NotificationDispatchTable;
}

export type CustomerDb = Kysely<CustomerDatabase> | Transaction<CustomerDatabase>;
