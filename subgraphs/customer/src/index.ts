export { startCustomer, type CustomerServiceOptions } from './app.js';
export type { CustomerDatabase } from './database.js';
