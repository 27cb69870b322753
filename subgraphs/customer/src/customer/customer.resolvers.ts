import { canActFor, forbidden, isUuid, money, parseId, requireAdmin, requireViewer, toPayload } from '@shopgraph/lib';
import type { CustomerContext } from '../context.js';
import type { Resolvers } from '../generated/graphql.js';
import { notificationPage } from '../notification/notification.service.js';
import { login, register, updateProfile } from './account.service.js';
import { addAddress, removeAddress, updateAddress, type AddressResult } from './address.service.js';
import { customerPage } from './customer.service.js';

/** An address mutation's payload: the address and the caller's account as it is now, or why nothing changed. */
async function addressPayload(ctx: CustomerContext, customerId: string, result: AddressResult) {
  const payload = toPayload(result);
  return result.ok ? { ...payload, customer: await ctx.loaders.customerById.load(customerId) } : payload;
}

const emptyPage = {
  edges: [],
  pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
};

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
    register: async (_parent, { input }, ctx) => toPayload(await register(ctx.db, ctx.accounts, input)),
    login: async (_parent, { input }, ctx) => toPayload(await login(ctx.db, ctx.accounts, input, ctx.clientAddress)),
    updateProfile: async (_parent, { input }, ctx) =>
      toPayload(await updateProfile(ctx.db, requireViewer(ctx.viewer), input)),
    addAddress: async (_parent, { input }, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      return addressPayload(ctx, viewer.customerId, await addAddress(ctx.db, viewer, input));
    },
    updateAddress: async (_parent, { id, input }, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      return addressPayload(ctx, viewer.customerId, await updateAddress(ctx.db, viewer, parseId(id), input));
    },
    removeAddress: async (_parent, { id }, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      return addressPayload(ctx, viewer.customerId, await removeAddress(ctx.db, viewer, parseId(id)));
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
