import {
  databaseCheck,
  internalApi,
  startSubgraph,
  type Authenticator,
  type RunningService,
  type ServiceAuth,
  type ServiceLimits,
} from '@shopgraph/lib';
import { loadSubgraphSdl } from '@shopgraph/schema';
import type { Kysely } from 'kysely';
import { createContext } from './context.js';
import type { InventoryDatabase } from './database.js';
import type { Resolvers } from './generated/graphql.js';
import { productResolvers } from './product/product.resolvers.js';
import { reservationRoutes } from './reservation/reservation.routes.js';
import { startReservationSweeper } from './reservation/reservation.sweeper.js';
import { stockResolvers } from './stock/stock.resolvers.js';

export interface ReservationSettings {
  /** How long a reservation holds its stock unless confirmed. */
  ttlMs: number;
  /** How often expired reservations are swept. */
  sweepIntervalMs: number;
  /** Run the sweeper in this process (default true). */
  sweeper?: boolean | undefined;
}

export interface InventoryServiceOptions {
  db: Kysely<InventoryDatabase>;
  /** Connections for background work (the sweeper); defaults to `db`. */
  workerDb?: Kysely<InventoryDatabase> | undefined;
  port: number;
  host?: string | undefined;
  sandbox: boolean;
  /** Verifies callers' access tokens. */
  auth: Authenticator;
  /** Verifies the service tokens of the internal API's callers. */
  serviceAuth: ServiceAuth;
  reservations: ReservationSettings;
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

/**
 * Starts the inventory subgraph over the given database: the catalog's
 * GraphQL API, the reservation API for the order service under
 * /internal/v1 (docs/adr/0014), and the reservation sweeper.
 */
export async function startInventory(options: InventoryServiceOptions): Promise<RunningService> {
  const { db, reservations } = options;
  const service = await startSubgraph({
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
    routes: (app) => {
      app.use(
        '/internal/v1',
        internalApi({
          auth: options.serviceAuth,
          callers: ['order'],
          routes: reservationRoutes(db, { ttlMs: reservations.ttlMs }),
        }),
      );
    },
  });
  const stopSweeper =
    reservations.sweeper === false
      ? undefined
      : startReservationSweeper(options.workerDb ?? db, { intervalMs: reservations.sweepIntervalMs });
  return {
    ...service,
    // The sweep in hand and the in-flight requests finish side by side, within the shutdown bound.
    stop: async () => {
      await Promise.all([stopSweeper?.(), service.stop()]);
    },
  };
}
