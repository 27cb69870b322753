import { encodeCursor, newestFirstPage, pageSize, parseId, toConnection, type Connection } from '@shopgraph/lib';
import type { OrderDb } from '../database.js';
import { listFirstOrdersPerCustomer, listOrders } from './order.repository.js';
import type { OrderRow, OrderStatus } from './order.table.js';

export interface OrderPageArgs {
  first?: number | null | undefined;
  after?: string | null | undefined;
  customerId?: string | undefined;
  status?: OrderStatus | null | undefined;
  placedAfter?: Date | null | undefined;
  placedBefore?: Date | null | undefined;
}

/** What an order cursor is bound to: the list (filters) it was made for. */
function orderListTag(args: OrderPageArgs): string {
  return [
    'placed',
    args.customerId ?? '',
    args.status ?? '',
    args.placedAfter?.getTime() ?? '',
    args.placedBefore?.getTime() ?? '',
  ].join('|');
}

/**
 * The first page of `Customer.orders` for many customers at once: one query
 * (a lateral join) per page size and status, whatever the number of
 * customers. Cursors are those {@link orderPage} makes for the same list, so
 * the next pages come from it.
 */
export async function firstOrderPages(
  db: OrderDb,
  customerIds: readonly string[],
  args: { first?: number | null | undefined; status?: OrderStatus | null | undefined },
): Promise<Map<string, Connection<OrderRow>>> {
  const limit = pageSize(args.first);
  const rows = await listFirstOrdersPerCustomer(db, customerIds, { limit, status: args.status ?? undefined });
  const byCustomer = new Map<string, OrderRow[]>(customerIds.map((id) => [id, []]));
  for (const row of rows) byCustomer.get(row.customer_id)?.push(row);
  return new Map(
    [...byCustomer].map(([customerId, page]) => {
      const sort = orderListTag({ customerId, status: args.status });
      return [
        customerId,
        toConnection(
          page,
          limit,
          (row) => encodeCursor(sort, [row.placed_at.getTime(), row.id]),
          (row) => row,
          false,
        ),
      ];
    }),
  );
}

/**
 * A page of orders, newest first, with keyset cursors over (placed_at, id).
 * The cursor is tied to the filter it was made for, so it cannot be replayed
 * against another.
 */
export async function orderPage(db: OrderDb, args: OrderPageArgs): Promise<Connection<OrderRow>> {
  const customerId = args.customerId ? parseId(args.customerId, 'filter.customerId') : undefined;
  const sort = orderListTag({ ...args, customerId });
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
