import { databaseReady, startSubgraph, type Authenticator, type RunningService } from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import { createContext } from './context.js';
import type { InventoryDatabase } from './database.js';
import { productResolvers } from './product/product.resolvers.js';

export interface InventoryServiceOptions {
  db: Kysely<InventoryDatabase>;
  port: number;
  host?: string | undefined;
  sandbox: boolean;
  /** Verifies callers' access tokens. */
  auth: Authenticator;
}

/** Starts the inventory subgraph over the given database. */
export function startInventory(options: InventoryServiceOptions): Promise<RunningService> {
  const { db } = options;
  return startSubgraph({
    name: 'inventory',
    port: options.port,
    host: options.host,
    sandbox: options.sandbox,
    resolvers: productResolvers,
    auth: options.auth,
    context: async (viewer) => createContext(db, viewer),
    ready: databaseReady(db as Kysely<unknown>),
  });
}
