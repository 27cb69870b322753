import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { CustomerDatabase } from '../database.js';
import { findAddressesByCustomerIds } from './address.repository.js';
import type { AddressRow } from './address.table.js';
import { findCustomersByIds } from './customer.repository.js';
import type { CustomerRow } from './customer.table.js';

export interface CustomerLoaders {
  /** One SQL query per request tick, whatever the number of ids. */
  customerById: DataLoader<string, CustomerRow | null>;
  /** Addresses of every customer asked for in one tick, in one query. */
  addressesByCustomerId: DataLoader<string, AddressRow[]>;
}

export function createCustomerLoaders(db: Kysely<CustomerDatabase>): CustomerLoaders {
  return {
    customerById: new DataLoader(async (ids) => {
      const rows = await findCustomersByIds(db, ids);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    addressesByCustomerId: new DataLoader(async (customerIds) => {
      const rows = await findAddressesByCustomerIds(db, customerIds);
      const byCustomer = new Map<string, AddressRow[]>(customerIds.map((id) => [id, []]));
      for (const row of rows) byCustomer.get(row.customer_id)?.push(row);
      return customerIds.map((id) => byCustomer.get(id) ?? []);
    }),
  };
}
