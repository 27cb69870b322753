import type { Kysely, Transaction } from 'kysely';
import type { AddressTable } from './customer/address.table.js';
import type { CustomerTable } from './customer/customer.table.js';

/** The customer subgraph's tables: its own Postgres schema and nothing else. */
export interface CustomerDatabase {
  'customer.customer': CustomerTable;
  'customer.address': AddressTable;
}

export type CustomerDb = Kysely<CustomerDatabase> | Transaction<CustomerDatabase>;
