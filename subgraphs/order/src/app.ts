import { databaseReady, startSubgraph, type EventTransport, type RunningService } from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import { createContext } from './context.js';
import type { OrderDatabase } from './database.js';
import { orderResolvers } from './order/order.resolvers.js';

export interface OrderServiceOptions {
  db: Kysely<OrderDatabase>;
  port: number;
  host?: string | undefined;
  sandbox: boolean;
  /** The event transport, when this process relays or consumes events: `/ready` then checks the broker too. */
  events?: EventTransport | undefined;
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
    context: async () => createContext(db, null),
    ready: async () => {
      await databaseReady(db as Kysely<unknown>)();
      await options.events?.ready();
    },
  });
}
