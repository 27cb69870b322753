import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { CustomerDatabase } from '../database.js';
import { findCustomersByIds } from './customer.repository.js';
import type { CustomerRow } from './customer.table.js';

export interface CustomerLoaders {
  /** One SQL query per request tick, whatever the number of ids. */
  customerById: DataLoader<string, CustomerRow | null>;
}

export function createCustomerLoaders(db: Kysely<CustomerDatabase>): CustomerLoaders {
  return {
    customerById: new DataLoader(async (ids) => {
      const rows = await findCustomersByIds(db, ids);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
