import type { OrderDatabase } from '@shopgraph/order';
import type { Kysely } from 'kysely';

/**
 * The OFFSET version of an order list page, only to show in the benchmark what
 * keyset pagination avoids; the API never pages this way.
 */
export function listOrdersWithOffset(
  db: Kysely<OrderDatabase>,
  query: {
    limit: number;
    offset: number;
    customerId?: string;
    status?: string;
    placedAfter?: Date;
    placedBefore?: Date;
  },
) {
  let q = db.selectFrom('orders.order').selectAll();
  if (query.customerId) q = q.where('customer_id', '=', query.customerId);
  if (query.status) q = q.where('status', '=', query.status as never);
  if (query.placedAfter) q = q.where('placed_at', '>=', query.placedAfter);
  if (query.placedBefore) q = q.where('placed_at', '<', query.placedBefore);
  return q.orderBy('placed_at', 'desc').orderBy('id', 'desc').offset(query.offset).limit(query.limit).execute();
}
