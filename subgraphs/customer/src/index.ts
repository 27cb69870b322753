export { startCustomer, type CustomerServiceOptions } from './app.js';
export { createAdmin, type AccountSettings } from './customer/account.service.js';
export {
  createPasswordHasher,
  OWASP_ARGON2ID,
  type PasswordHashCost,
  type PasswordHasher,
} from './customer/password.js';
export type { CustomerDatabase } from './database.js';
