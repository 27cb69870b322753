import type { Viewer } from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import type { AccountSettings } from './customer/account.service.js';
import { createCustomerLoaders, type CustomerLoaders } from './customer/customer.loaders.js';
import type { CustomerDatabase } from './database.js';

/** Per-request context of the customer subgraph. */
export interface CustomerContext {
  db: Kysely<CustomerDatabase>;
  /** The verified caller, or null for an anonymous request. */
  viewer: Viewer | null;
  loaders: CustomerLoaders;
  accounts: AccountSettings;
  /** The caller's address as the gateway (or a trusted proxy) reports it. */
  clientAddress: string | undefined;
}

export function createContext(
  db: Kysely<CustomerDatabase>,
  viewer: Viewer | null,
  accounts: AccountSettings,
  clientAddress?: string | undefined,
): CustomerContext {
  return { db, viewer, accounts, clientAddress, loaders: createCustomerLoaders(db) };
}
