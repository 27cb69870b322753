import { requireAdmin, toPayload } from '@shopgraph/lib';
import type { Resolvers } from '../generated/graphql.js';
import { adjustStock, setStock, stockHistoryPage } from './stock.service.js';

export const stockResolvers: Resolvers = {
  Mutation: {
    adjustStock: async (_parent, { input }, ctx) =>
      toPayload(await adjustStock(ctx.db, requireAdmin(ctx.viewer), input)),
    setStock: async (_parent, { input }, ctx) => toPayload(await setStock(ctx.db, requireAdmin(ctx.viewer), input)),
  },
  Product: {
    stockHistory: (product, args, ctx) => {
      requireAdmin(ctx.viewer);
      return stockHistoryPage(ctx.db, product.id, args);
    },
  },
  StockMovement: {
    id: (row) => String(row.id),
    stockAfter: (row) => row.stock_after,
    createdAt: (row) => row.created_at,
  },
};
