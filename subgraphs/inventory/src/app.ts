import {
  databaseCheck,
  startSubgraph,
  type Authenticator,
  type RunningService,
  type ServiceLimits,
} from '@shopgraph/lib';
import { loadSubgraphSdl } from '@shopgraph/schema';
import type { Kysely } from 'kysely';
import { createContext } from './context.js';
import type { InventoryDatabase } from './database.js';
import type { Resolvers } from './generated/graphql.js';
import { productResolvers } from './product/product.resolvers.js';
import { stockResolvers } from './stock/stock.resolvers.js';

export interface InventoryServiceOptions {
  db: Kysely<InventoryDatabase>;
  port: number;
  host?: string | undefined;
  sandbox: boolean;
  /** Verifies callers' access tokens. */
  auth: Authenticator;
  limits?: ServiceLimits | undefined;
}

/** Each feature's resolvers, merged type by type. */
function mergeResolvers(...parts: Resolvers[]): Resolvers {
  const merged: Record<string, object> = {};
  for (const part of parts) {
    for (const [type, fields] of Object.entries(part)) merged[type] = { ...merged[type], ...fields };
  }
  return merged as Resolvers;
}

export const inventoryResolvers = mergeResolvers(productResolvers, stockResolvers);

/** Starts the inventory subgraph over the given database. */
export function startInventory(options: InventoryServiceOptions): Promise<RunningService> {
  const { db } = options;
  return startSubgraph({
    name: 'inventory',
    typeDefs: loadSubgraphSdl('inventory'),
    port: options.port,
    host: options.host,
    sandbox: options.sandbox,
    resolvers: inventoryResolvers,
    auth: options.auth,
    context: async (viewer) => createContext(db, viewer),
    ...options.limits,
    checks: [databaseCheck(db as Kysely<unknown>)],
  });
}
