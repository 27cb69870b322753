import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection } from '@shopgraph/lib';
import type { CustomerDb } from '../database.js';
import { listCustomers } from './customer.repository.js';
import type { CustomerRow } from './customer.table.js';

const NEWEST = 'created';

/** A page of all customers, newest first, with keyset cursors over (created_at, id). */
export async function customerPage(
  db: CustomerDb,
  args: { first?: number | null | undefined; after?: string | null | undefined },
): Promise<Connection<CustomerRow>> {
  const limit = pageSize(args.first);
  const after = args.after ? decodeCursor(args.after, NEWEST, ['timestamp', 'uuid'] as const) : undefined;
  const rows = await listCustomers(db, {
    limit,
    after: after ? { createdAt: new Date(after[0]), id: after[1] } : undefined,
  });
  return toConnection(
    rows,
    limit,
    (row) => encodeCursor(NEWEST, [row.created_at.getTime(), row.id]),
    (row) => row,
    Boolean(after),
  );
}
