import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection } from '@shopgraph/lib';
import type { OrderDb } from '../database.js';
import { listOrders } from './order.repository.js';
import type { OrderRow } from './order.table.js';

const NEWEST = 'placed';

export interface OrderPageArgs {
  first?: number | null | undefined;
  after?: string | null | undefined;
  customerId?: string | undefined;
}

/** A page of orders, newest first, with keyset cursors over (placed_at, id). */
export async function orderPage(db: OrderDb, args: OrderPageArgs): Promise<Connection<OrderRow>> {
  const limit = pageSize(args.first);
  const after = args.after ? decodeCursor(args.after, NEWEST, ['timestamp', 'uuid'] as const) : undefined;
  const rows = await listOrders(db, {
    limit,
    customerId: args.customerId,
    after: after ? { placedAt: new Date(after[0]), id: after[1] } : undefined,
  });
  return toConnection(
    rows,
    limit,
    (row) => encodeCursor(NEWEST, [row.placed_at.getTime(), row.id]),
    (row) => row,
    Boolean(after),
  );
}
