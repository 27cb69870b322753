import type { Kysely } from 'kysely';
import type { OrderDatabase } from './database.js';
import { createOrderLoaders, type OrderLoaders } from './order/order.loaders.js';

/** Per-request context of the order subgraph. */
export interface OrderContext {
  db: Kysely<OrderDatabase>;
  loaders: OrderLoaders;
}

export function createContext(db: Kysely<OrderDatabase>): OrderContext {
  return { db, loaders: createOrderLoaders(db) };
}
