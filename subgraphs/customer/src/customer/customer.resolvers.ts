import { canActFor, forbidden, isUuid, parseId, requireAdmin, requireViewer } from '@shopgraph/lib';
import type { Resolvers } from '../generated/graphql.js';
import { login, register, updateProfile } from './account.service.js';
import { addAddress, removeAddress, updateAddress } from './address.service.js';
import { customerPage } from './customer.service.js';

export const customerResolvers: Resolvers = {
  Query: {
    me: (_parent, _args, ctx) => (ctx.viewer ? ctx.loaders.customerById.load(ctx.viewer.customerId) : null),
    customer: (_parent, { id }, ctx) => {
      const customerId = parseId(id);
      if (!canActFor(requireViewer(ctx.viewer), customerId)) throw forbidden('You may only read your own account');
      return ctx.loaders.customerById.load(customerId);
    },
    customers: (_parent, args, ctx) => {
      requireAdmin(ctx.viewer);
      return customerPage(ctx.db, args);
    },
  },
  Mutation: {
    register: async (_parent, { input }, ctx) => {
      const result = await register(ctx.db, ctx.accounts, input);
      return result.ok ? { ...result, userErrors: [] } : { userErrors: result.userErrors };
    },
    login: async (_parent, { input }, ctx) => {
      const result = await login(ctx.db, ctx.accounts, input);
      return result.ok ? { ...result, userErrors: [] } : { userErrors: result.userErrors };
    },
    updateProfile: async (_parent, { input }, ctx) => {
      const result = await updateProfile(ctx.db, requireViewer(ctx.viewer), input);
      return result.ok ? { customer: result.customer, userErrors: [] } : { userErrors: result.userErrors };
    },
    addAddress: async (_parent, { input }, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      const result = await addAddress(ctx.db, viewer, input);
      return result.ok
        ? { address: result.address, customer: await ctx.loaders.customerById.load(viewer.customerId), userErrors: [] }
        : { userErrors: result.userErrors };
    },
    updateAddress: async (_parent, { id, input }, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      const result = await updateAddress(ctx.db, viewer, parseId(id), input);
      return result.ok
        ? { address: result.address, customer: await ctx.loaders.customerById.load(viewer.customerId), userErrors: [] }
        : { userErrors: result.userErrors };
    },
    removeAddress: async (_parent, { id }, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      const result = await removeAddress(ctx.db, viewer, parseId(id));
      return result.ok
        ? { address: result.address, customer: await ctx.loaders.customerById.load(viewer.customerId), userErrors: [] }
        : { userErrors: result.userErrors };
    },
  },
  Customer: {
    // Another subgraph's reference (e.g. Order.customer) resolves only for the
    // customer themself or an admin; for anyone else it is null, as if unknown.
    __resolveReference: (ref, ctx) =>
      isUuid(ref.id) && canActFor(ctx.viewer, ref.id.toLowerCase())
        ? ctx.loaders.customerById.load(ref.id.toLowerCase())
        : null,
    createdAt: (row) => row.created_at,
    addresses: (row, _args, ctx) => ctx.loaders.addressesByCustomerId.load(row.id),
    defaultShippingAddress: async (row, _args, ctx) =>
      (await ctx.loaders.addressesByCustomerId.load(row.id)).find((a) => a.is_default_shipping) ?? null,
  },
  Address: {
    postalCode: (row) => row.postal_code,
    countryCode: (row) => row.country_code,
    isDefaultShipping: (row) => row.is_default_shipping,
  },
};
