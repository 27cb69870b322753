import { isUuid, money, parseId } from '@shopgraph/lib';
import type { Resolvers } from '../generated/graphql.js';
import { orderPage } from './order.service.js';

export const orderResolvers: Resolvers = {
  Query: {
    order: (_parent, { id }, ctx) => ctx.loaders.orderById.load(parseId(id)),
    orders: (_parent, args, ctx) => orderPage(ctx.db, args),
  },
  Order: {
    // An unknown or malformed reference resolves to null, never an error.
    __resolveReference: (ref, ctx) => (isUuid(ref.id) ? ctx.loaders.orderById.load(ref.id.toLowerCase()) : null),
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
    orders: (customer, args, ctx) =>
      isUuid(customer.id)
        ? orderPage(ctx.db, { ...args, customerId: customer.id.toLowerCase() })
        : { edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } },
  },
};
