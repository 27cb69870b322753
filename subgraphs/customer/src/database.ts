import type { Kysely, Transaction } from 'kysely';
import type { CustomerTable } from './customer/customer.table.js';

/** The customer subgraph's tables: its own Postgres schema and nothing else. */
export interface CustomerDatabase {
  'customer.customer': CustomerTable;
}

export type CustomerDb = Kysely<CustomerDatabase> | Transaction<CustomerDatabase>;
