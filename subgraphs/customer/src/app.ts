import { databaseReady, startSubgraph, type RunningService } from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import { createContext } from './context.js';
import type { CustomerDatabase } from './database.js';
import { customerResolvers } from './customer/customer.resolvers.js';

export interface CustomerServiceOptions {
  db: Kysely<CustomerDatabase>;
  port: number;
  host?: string | undefined;
  sandbox: boolean;
}

/** Starts the customer subgraph over the given database. */
export function startCustomer(options: CustomerServiceOptions): Promise<RunningService> {
  const { db } = options;
  return startSubgraph({
    name: 'customer',
    port: options.port,
    host: options.host,
    sandbox: options.sandbox,
    resolvers: customerResolvers,
    context: async () => createContext(db, null),
    ready: databaseReady(db as Kysely<unknown>),
  });
}
