import { isUuid, money, parseId, requireAdmin, toPayload } from '@shopgraph/lib';
import type { Resolvers } from '../generated/graphql.js';
import { productPage } from './catalog.service.js';
import { findProductBySku } from './product.repository.js';
import { archiveProduct, createProduct, updateProduct } from './product.service.js';

export const productResolvers: Resolvers = {
  Query: {
    product: (_parent, { id }, ctx) => ctx.loaders.productById.load(parseId(id)),
    productBySku: async (_parent, { sku }, ctx) => (await findProductBySku(ctx.db, sku.trim())) ?? null,
    products: (_parent, args, ctx) => productPage(ctx.db, ctx.viewer, args),
  },
  Mutation: {
    createProduct: async (_parent, { input }, ctx) =>
      toPayload(await createProduct(ctx.db, requireAdmin(ctx.viewer), input)),
    updateProduct: async (_parent, { input }, ctx) =>
      toPayload(await updateProduct(ctx.db, requireAdmin(ctx.viewer), input)),
    archiveProduct: async (_parent, { id }, ctx) =>
      toPayload(await archiveProduct(ctx.db, requireAdmin(ctx.viewer), id)),
  },
  Product: {
    // An unknown or malformed reference resolves to null, never an error.
    __resolveReference: (ref, ctx) => (isUuid(ref.id) ? ctx.loaders.productById.load(ref.id.toLowerCase()) : null),
    price: (row) => money(row.price_minor, row.currency),
    imageUrl: (row) => row.image_url,
    available: (row) => row.stock,
    inStock: (row) => row.stock > 0,
    createdAt: (row) => row.created_at,
    updatedAt: (row) => row.updated_at,
  },
  ProductConnection: {
    totalCount: (page) => page.totalCount(),
  },
};
