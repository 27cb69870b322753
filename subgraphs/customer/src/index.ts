export { startCustomer, type CustomerServiceOptions } from './app.js';
export { createAdmin, type AccountSettings } from './customer/account.service.js';
export { DEFAULT_LOGIN_LIMITS, type LoginLimitSettings } from './login-limit/login-limit.service.js';
export {
  createPasswordHasher,
  OWASP_ARGON2ID,
  type PasswordHashCost,
  type PasswordHasher,
} from './customer/password.js';
export type { CustomerDatabase } from './database.js';
export { startCustomerConsumers, customerConsumers, decodeOrderEvent } from './events.js';
export { ORDER_STATS_CONSUMER } from './order-stats/order-stats.consumer.js';
export { NOTIFICATIONS_CONSUMER } from './notification/notification.consumer.js';
export {
  notificationEnvShape,
  notificationSender,
  startNotificationDispatcher,
  type NotificationMessage,
} from './notification/notification.dispatch.js';
export { pruneInbox } from './inbox/inbox.repository.js';
