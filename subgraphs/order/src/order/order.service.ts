import { newestFirstPage, parseId, type Connection } from '@shopgraph/lib';
import type { OrderDb } from '../database.js';
import { listOrders } from './order.repository.js';
import type { OrderRow, OrderStatus } from './order.table.js';

export interface OrderPageArgs {
  first?: number | null | undefined;
  after?: string | null | undefined;
  customerId?: string | undefined;
  status?: OrderStatus | null | undefined;
  placedAfter?: Date | null | undefined;
  placedBefore?: Date | null | undefined;
}

/**
 * A page of orders, newest first, with keyset cursors over (placed_at, id).
 * The cursor is tied to the filter it was made for, so it cannot be replayed
 * against another.
 */
export async function orderPage(db: OrderDb, args: OrderPageArgs): Promise<Connection<OrderRow>> {
  const customerId = args.customerId ? parseId(args.customerId, 'filter.customerId') : undefined;
  const sort = [
    'placed',
    customerId ?? '',
    args.status ?? '',
    args.placedAfter?.getTime() ?? '',
    args.placedBefore?.getTime() ?? '',
  ].join('|');
  return newestFirstPage(
    args,
    sort,
    (row) => row.placed_at,
    (limit, after) =>
      listOrders(db, {
        limit,
        customerId,
        status: args.status ?? undefined,
        placedAfter: args.placedAfter ?? undefined,
        placedBefore: args.placedBefore ?? undefined,
        after,
      }),
  );
}
