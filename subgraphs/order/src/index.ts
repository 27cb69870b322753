export { startOrder, type OrderServiceOptions } from './app.js';
export type { OrderDatabase, OrderDb } from './database.js';
export type * from './outbox/order-events.js';
export { ORDER_EVENT_TYPES } from './outbox/order-events.js';
export { appendOutboxEvent, OUTBOX_CHANNEL, type NewOrderEvent } from './outbox/outbox.repository.js';
export { orderOutboxStore, startOrderRelay, RELAY_LOCK_KEY, type OrderRelayOptions } from './outbox/outbox.relay.js';
export { orderPage, type OrderPageArgs } from './order/order.service.js';
export { placeOrder, type PlaceOrderInput } from './order/place-order.service.js';
export { changeOrderStatus, type StatusChangeRequest } from './order/order-status.service.js';
