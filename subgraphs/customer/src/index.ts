export { startCustomer, type CustomerServiceOptions } from './app.js';
export type { CustomerDatabase } from './database.js';
export { startCustomerConsumers, customerConsumers, decodeOrderEvent } from './events.js';
export { ORDER_STATS_CONSUMER } from './order-stats/order-stats.consumer.js';
export { NOTIFICATIONS_CONSUMER } from './notification/notification.consumer.js';
