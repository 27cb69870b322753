import { canActFor, isUuid, money, parseId } from '@shopgraph/lib';
import type { Resolvers } from '../generated/graphql.js';
import { notificationPage } from '../notification/notification.service.js';

const emptyPage = {
  edges: [],
  pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
};

export const customerResolvers: Resolvers = {
  Query: {
    customer: (_parent, { id }, ctx) => ctx.loaders.customerById.load(parseId(id)),
  },
  Customer: {
    // An unknown or malformed reference resolves to null, never an error.
    __resolveReference: (ref, ctx) => (isUuid(ref.id) ? ctx.loaders.customerById.load(ref.id.toLowerCase()) : null),
    createdAt: (row) => row.created_at,
    // Order statistics and notifications are private: the customer themself or an admin.
    orderCount: async (row, _args, ctx) =>
      canActFor(ctx.viewer, row.id)
        ? (await ctx.loaders.orderStatsByCustomerId.load(row.id)).reduce((sum, s) => sum + s.order_count, 0)
        : null,
    totalSpent: async (row, _args, ctx) =>
      canActFor(ctx.viewer, row.id)
        ? (await ctx.loaders.orderStatsByCustomerId.load(row.id)).map((s) => money(s.total_spent_minor, s.currency))
        : null,
    lastOrderAt: async (row, _args, ctx) => {
      if (!canActFor(ctx.viewer, row.id)) return null;
      const stats = await ctx.loaders.orderStatsByCustomerId.load(row.id);
      const times = stats.map((s) => s.last_order_at.getTime());
      return times.length > 0 ? new Date(Math.max(...times)) : null;
    },
    notifications: (row, args, ctx) =>
      canActFor(ctx.viewer, row.id) ? notificationPage(ctx.db, row.id, args) : emptyPage,
  },
};
