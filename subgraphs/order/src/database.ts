import type { Kysely, Transaction } from 'kysely';
import type { IdempotencyKeyTable, OrderLineTable, OrderStatusHistoryTable, OrderTable } from './order/order.table.js';
import type { OutboxEventTable } from './outbox/outbox.table.js';
import type { ReservationCallTable } from './reservation/reservation-call.table.js';

/** The order subgraph's tables: its own Postgres schema and nothing else. */
export interface OrderDatabase {
  'orders.order': OrderTable;
  'orders.order_line': OrderLineTable;
  'orders.order_status_history': OrderStatusHistoryTable;
  'orders.idempotency_key': IdempotencyKeyTable;
  'orders.outbox_event': OutboxEventTable;
  'orders.reservation_call': ReservationCallTable;
}

export type OrderDb = Kysely<OrderDatabase> | Transaction<OrderDatabase>;
