import { isUuid, money, parseId } from '@shopgraph/lib';
import type { Resolvers } from '../generated/graphql.js';
import { productPage } from './product.service.js';

export const productResolvers: Resolvers = {
  Query: {
    product: (_parent, { id }, ctx) => ctx.loaders.productById.load(parseId(id)),
    products: (_parent, args, ctx) => productPage(ctx.db, args),
  },
  Product: {
    // An unknown or malformed reference resolves to null, never an error.
    __resolveReference: (ref, ctx) => (isUuid(ref.id) ? ctx.loaders.productById.load(ref.id.toLowerCase()) : null),
    price: (row) => money(row.price_minor, row.currency),
    available: (row) => row.stock,
    inStock: (row) => row.stock > 0,
    createdAt: (row) => row.created_at,
    updatedAt: (row) => row.updated_at,
  },
};
