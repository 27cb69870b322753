import type { Viewer } from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import { createCustomerLoaders, type CustomerLoaders } from './customer/customer.loaders.js';
import type { CustomerDatabase } from './database.js';

/** Per-request context of the customer subgraph. */
export interface CustomerContext {
  db: Kysely<CustomerDatabase>;
  /** The verified caller, or null for an anonymous request. */
  viewer: Viewer | null;
  loaders: CustomerLoaders;
}

export function createContext(db: Kysely<CustomerDatabase>, viewer: Viewer | null): CustomerContext {
  return { db, viewer, loaders: createCustomerLoaders(db) };
}
