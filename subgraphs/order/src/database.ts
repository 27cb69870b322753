import type { Kysely, Transaction } from 'kysely';
import type { OrderLineTable, OrderTable } from './order/order.table.js';
import type { OutboxEventTable } from './outbox/outbox.table.js';

/** The order subgraph's tables: its own Postgres schema and nothing else. */
export interface OrderDatabase {
  'orders.order': OrderTable;
  'orders.order_line': OrderLineTable;
  'orders.outbox_event': OutboxEventTable;
}

export type OrderDb = Kysely<OrderDatabase> | Transaction<OrderDatabase>;
