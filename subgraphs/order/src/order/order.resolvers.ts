import {
  canActFor,
  forbidden,
  isUuid,
  money,
  pageSize,
  parseId,
  requireAdmin,
  requireViewer,
  toPayload,
} from '@shopgraph/lib';
import type { OrderContext } from '../context.js';
import type { Resolvers } from '../generated/graphql.js';
import { changeOrderStatus, updateShippingAddress } from './order-status.service.js';
import { orderPage } from './order.service.js';
import { placeOrder } from './place-order.service.js';

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
    // Admins list every order (optionally one customer's); a customer lists their own.
    orders: (_parent, { first, after, filter }, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      if (filter?.customerId && viewer.role !== 'ADMIN' && filter.customerId.toLowerCase() !== viewer.customerId) {
        throw forbidden('You may only list your own orders');
      }
      return orderPage(ctx.db, {
        first,
        after,
        status: filter?.status,
        placedAfter: filter?.placedAfter,
        placedBefore: filter?.placedBefore,
        customerId: viewer.role === 'ADMIN' ? (filter?.customerId ?? undefined) : viewer.customerId,
      });
    },
  },
  Mutation: {
    placeOrder: async (_parent, { input }, ctx) =>
      toPayload(await placeOrder(ctx.db, ctx.neighbours, requireViewer(ctx.viewer), input, ctx.placement)),
    markOrderPaid: async (_parent, { id }, ctx) =>
      toPayload(await changeOrderStatus(ctx.db, ctx.neighbours, requireAdmin(ctx.viewer), parseId(id), { to: 'PAID' })),
    shipOrder: async (_parent, { id, input }, ctx) =>
      toPayload(
        await changeOrderStatus(ctx.db, ctx.neighbours, requireAdmin(ctx.viewer), parseId(id), {
          to: 'SHIPPED',
          ...input,
        }),
      ),
    markOrderDelivered: async (_parent, { id }, ctx) =>
      toPayload(
        await changeOrderStatus(ctx.db, ctx.neighbours, requireAdmin(ctx.viewer), parseId(id), { to: 'DELIVERED' }),
      ),
    cancelOrder: async (_parent, { id, reason }, ctx) =>
      toPayload(
        await changeOrderStatus(ctx.db, ctx.neighbours, requireViewer(ctx.viewer), parseId(id), {
          to: 'CANCELLED',
          reason,
        }),
      ),
    updateShippingAddress: async (_parent, { id, address }, ctx) =>
      toPayload(await updateShippingAddress(ctx.db, requireViewer(ctx.viewer), parseId(id), address)),
  },
  Order: {
    // An unknown, malformed or someone else's reference resolves to null, never an error.
    __resolveReference: (ref, ctx) => (isUuid(ref.id) ? visibleOrder(ctx, ref.id.toLowerCase()) : null),
    customer: (row) => ({ id: row.customer_id }),
    lines: (row, _args, ctx) => ctx.loaders.linesByOrderId.load(row.id),
    total: (row) => money(row.total_minor, row.currency),
    placedAt: (row) => row.placed_at,
    updatedAt: (row) => row.updated_at,
    shippingAddress: (row) => row.shipping_address,
    tracking: (row) =>
      row.carrier && row.tracking_number ? { carrier: row.carrier, trackingNumber: row.tracking_number } : null,
    statusHistory: (row, _args, ctx) => ctx.loaders.historyByOrderId.load(row.id),
  },
  OrderStatusChange: {
    actorId: (row) => row.actor_id,
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
    orders: (customer, { first, after, status }, ctx) => {
      const customerId = isUuid(customer.id) ? customer.id.toLowerCase() : undefined;
      if (!customerId || !canActFor(requireViewer(ctx.viewer), customerId)) {
        throw forbidden('You may only list your own orders');
      }
      // First pages are batched across customers; later pages follow a cursor.
      if (after) return orderPage(ctx.db, { first, after, status, customerId });
      return ctx.loaders.firstOrderPage.load({ customerId, first: pageSize(first), status: status ?? null });
    },
  },
};
