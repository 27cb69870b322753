import { canActFor, forbidden, isUuid, money, parseId, requireViewer } from '@shopgraph/lib';
import type { Resolvers } from '../generated/graphql.js';
import type { OrderContext } from '../context.js';
import { orderPage } from './order.service.js';

/** The order if the caller may see it (its customer or an admin), else null as if unknown. */
async function visibleOrder(ctx: OrderContext, id: string) {
  const order = await ctx.loaders.orderById.load(id);
  return order && canActFor(ctx.viewer, order.customer_id) ? order : null;
}

export const orderResolvers: Resolvers = {
  Query: {
    order: (_parent, { id }, ctx) => {
      requireViewer(ctx.viewer);
      return visibleOrder(ctx, parseId(id));
    },
    // Admins list every order; a customer lists their own.
    orders: (_parent, args, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      return orderPage(ctx.db, { ...args, customerId: viewer.role === 'ADMIN' ? undefined : viewer.customerId });
    },
  },
  Order: {
    // An unknown, malformed or someone else's reference resolves to null, never an error.
    __resolveReference: (ref, ctx) => (isUuid(ref.id) ? visibleOrder(ctx, ref.id.toLowerCase()) : null),
    customer: (row) => ({ id: row.customer_id }),
    lines: (row, _args, ctx) => ctx.loaders.linesByOrderId.load(row.id),
    total: (row) => money(row.total_minor, row.currency),
    placedAt: (row) => row.placed_at,
    updatedAt: (row) => row.updated_at,
  },
  OrderLine: {
    product: (line) => ({ id: line.product_id }),
    unitPrice: (line) => money(line.unit_price_minor, line.currency),
    lineTotal: (line) => money(line.unit_price_minor * line.quantity, line.currency),
  },
  Customer: {
    // The customer subgraph owns customers; this subgraph only adds their orders.
    __resolveReference: (ref) => ({ id: ref.id }),
    // Also checked here, not only in the customer subgraph: an `_entities`
    // call straight to this subgraph must not list someone else's orders.
    orders: (customer, args, ctx) => {
      const customerId = isUuid(customer.id) ? customer.id.toLowerCase() : undefined;
      if (!customerId || !canActFor(requireViewer(ctx.viewer), customerId)) {
        throw forbidden('You may only list your own orders');
      }
      return orderPage(ctx.db, { ...args, customerId });
    },
  },
};
