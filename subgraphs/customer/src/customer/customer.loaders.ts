import { rowByIdLoader, rowsByKeyLoader } from '@shopgraph/lib';
import type DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { CustomerDatabase } from '../database.js';
import { findOrderStatsByCustomerIds } from '../order-stats/order-stats.repository.js';
import type { OrderStatsRow } from '../order-stats/order-stats.table.js';
import { findAddressesByCustomerIds } from './address.repository.js';
import type { AddressRow } from './address.table.js';
import { findCustomersByIds } from './customer.repository.js';
import type { CustomerRow } from './customer.table.js';

export interface CustomerLoaders {
  /** One SQL query per request tick, whatever the number of ids. */
  customerById: DataLoader<string, CustomerRow | null>;
  /** Order statistics per customer, one row per currency; one query per tick. */
  orderStatsByCustomerId: DataLoader<string, OrderStatsRow[]>;
  /** Addresses of every customer asked for in one tick, in one query. */
  addressesByCustomerId: DataLoader<string, AddressRow[]>;
}

export function createCustomerLoaders(db: Kysely<CustomerDatabase>): CustomerLoaders {
  return {
    customerById: rowByIdLoader((ids) => findCustomersByIds(db, ids)),
    orderStatsByCustomerId: rowsByKeyLoader(
      (ids) => findOrderStatsByCustomerIds(db, ids),
      (row) => row.customer_id,
    ),
    addressesByCustomerId: rowsByKeyLoader(
      (ids) => findAddressesByCustomerIds(db, ids),
      (row) => row.customer_id,
    ),
  };
}
