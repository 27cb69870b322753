export { startOrder, type OrderServiceOptions } from './app.js';
export type { OrderDatabase, OrderDb } from './database.js';
export type { OrderStatus } from './order/order.table.js';
export type * from './outbox/order-events.js';
export { ORDER_EVENT_TYPES } from './outbox/order-events.js';
export { appendOutboxEvent, OUTBOX_CHANNEL, type NewOrderEvent } from './outbox/outbox.repository.js';
export { orderOutboxStore, startOrderRelay, RELAY_LOCK_KEY, type OrderRelayOptions } from './outbox/outbox.relay.js';
