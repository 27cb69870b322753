import { isUuid, parseId } from '@shopgraph/lib';
import type { Resolvers } from '../generated/graphql.js';

export const customerResolvers: Resolvers = {
  Query: {
    customer: (_parent, { id }, ctx) => ctx.loaders.customerById.load(parseId(id)),
  },
  Customer: {
    // An unknown or malformed reference resolves to null, never an error.
    __resolveReference: (ref, ctx) => (isUuid(ref.id) ? ctx.loaders.customerById.load(ref.id.toLowerCase()) : null),
    createdAt: (row) => row.created_at,
  },
};
