import { databaseReady, startSubgraph, type Authenticator, type RunningService } from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import { createContext } from './context.js';
import type { OrderDatabase } from './database.js';
import { orderResolvers } from './order/order.resolvers.js';

export interface OrderServiceOptions {
  db: Kysely<OrderDatabase>;
  port: number;
  host?: string | undefined;
  sandbox: boolean;
  /** Verifies callers' access tokens. */
  auth: Authenticator;
}

/** Starts the order subgraph over the given database. */
export function startOrder(options: OrderServiceOptions): Promise<RunningService> {
  const { db } = options;
  return startSubgraph({
    name: 'order',
    port: options.port,
    host: options.host,
    sandbox: options.sandbox,
    resolvers: orderResolvers,
    auth: options.auth,
    context: async (viewer) => createContext(db, viewer),
    ready: databaseReady(db as Kysely<unknown>),
  });
}
