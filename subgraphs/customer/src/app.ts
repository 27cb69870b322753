import { databaseReady, startSubgraph, type EventTransport, type RunningService } from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import { createContext } from './context.js';
import type { CustomerDatabase } from './database.js';
import { customerResolvers } from './customer/customer.resolvers.js';
import { notificationResolvers } from './notification/notification.resolvers.js';

export interface CustomerServiceOptions {
  db: Kysely<CustomerDatabase>;
  port: number;
  host?: string | undefined;
  sandbox: boolean;
  /** The event transport, when this process relays or consumes events: `/ready` then checks the broker too. */
  events?: EventTransport | undefined;
}

/** Starts the customer subgraph over the given database. */
export function startCustomer(options: CustomerServiceOptions): Promise<RunningService> {
  const { db } = options;
  return startSubgraph({
    name: 'customer',
    port: options.port,
    host: options.host,
    sandbox: options.sandbox,
    resolvers: { ...customerResolvers, ...notificationResolvers },
    context: async () => createContext(db, null),
    ready: async () => {
      await databaseReady(db as Kysely<unknown>)();
      await options.events?.ready();
    },
  });
}
