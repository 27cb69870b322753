export { startOrder, type OrderServiceOptions } from './app.js';
export type { OrderDatabase } from './database.js';
