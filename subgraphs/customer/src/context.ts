import type { Kysely } from 'kysely';
import { createCustomerLoaders, type CustomerLoaders } from './customer/customer.loaders.js';
import type { CustomerDatabase } from './database.js';

/** Per-request context of the customer subgraph. */
export interface CustomerContext {
  db: Kysely<CustomerDatabase>;
  loaders: CustomerLoaders;
}

export function createContext(db: Kysely<CustomerDatabase>): CustomerContext {
  return { db, loaders: createCustomerLoaders(db) };
}
