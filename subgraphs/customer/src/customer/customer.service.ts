import { newestFirstPage, type Connection } from '@shopgraph/lib';
import type { CustomerDb } from '../database.js';
import { listCustomers } from './customer.repository.js';
import type { CustomerRow } from './customer.table.js';

/** A page of all customers, newest first, with keyset cursors over (created_at, id). */
export function customerPage(
  db: CustomerDb,
  args: { first?: number | null | undefined; after?: string | null | undefined },
): Promise<Connection<CustomerRow>> {
  return newestFirstPage(
    args,
    'created',
    (row) => row.created_at,
    (limit, after) => listCustomers(db, { limit, after }),
  );
}
