import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection } from '@shopgraph/lib';
import type { InventoryDb } from '../database.js';
import { listActiveProducts } from './product.repository.js';
import type { ProductRow } from './product.table.js';

const NEWEST = 'newest';

/**
 * A page of the active catalog, newest first, with keyset cursors over
 * (created_at, id).
 */
export async function productPage(
  db: InventoryDb,
  args: { first?: number | null | undefined; after?: string | null | undefined },
): Promise<Connection<ProductRow>> {
  const limit = pageSize(args.first);
  const after = args.after ? decodeCursor(args.after, NEWEST, ['number', 'string'] as const) : undefined;
  const rows = await listActiveProducts(db, {
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
