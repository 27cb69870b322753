import {
  createLogger,
  brokerCheck,
  trackReservationCalls,
  databaseCheck,
  startSubgraph,
  type Authenticator,
  type EventTransport,
  type RunningService,
  type ServiceLimits,
} from '@shopgraph/lib';
import { loadSubgraphSdl } from '@shopgraph/schema';
import type { Kysely } from 'kysely';
import { createContext } from './context.js';
import type { OrderDatabase } from './database.js';
import type { Neighbours } from './neighbours.js';
import { pruneIdempotencyKeys } from './order/order.repository.js';
import { orderResolvers } from './order/order.resolvers.js';
import { startReservationCallDispatcher } from './reservation/reservation-call.dispatcher.js';
import { countReservationCalls } from './reservation/reservation-call.repository.js';

export interface OrderServiceOptions {
  db: Kysely<OrderDatabase>;
  /** Connections for background work (the reservation call dispatcher); defaults to `db`. */
  workerDb?: Kysely<OrderDatabase> | undefined;
  /** The inventory and customer services. */
  neighbours: Neighbours;
  /**
   * The reservation call dispatcher (docs/adr/0014): how often it looks for
   * due calls; `false` runs none in this process.
   */
  reservationCalls?: { pollIntervalMs: number } | false | undefined;
  /** Longest a call to a neighbour may take; the dispatcher's leases outlast it. */
  serviceCallTimeoutMs?: number | undefined;
  port: number;
  host?: string | undefined;
  sandbox: boolean;
  /** Verifies callers' access tokens. */
  auth: Authenticator;
  /** The event transport, when this process relays events: `/ready` then reports the broker too. */
  events?: EventTransport | undefined;
  limits?: ServiceLimits | undefined;
  /** How long placeOrder holds an idempotency key while it places the order (default 30 s; see `keyLeaseFor`). */
  idempotencyKeyLeaseMs?: number | undefined;
  /** How long placeOrder idempotency keys are kept (at least 24 hours; default 48). */
  idempotencyKeyRetentionHours?: number | undefined;
}

const log = createLogger('order');
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * Starts the order subgraph over the given database, the reservation call
 * dispatcher, and an hourly sweep of idempotency keys past their retention.
 */
export async function startOrder(options: OrderServiceOptions): Promise<RunningService> {
  const { db } = options;
  const retentionMs = Math.max(24, options.idempotencyKeyRetentionHours ?? 48) * 60 * 60 * 1000;
  const service = await startSubgraph({
    name: 'order',
    typeDefs: loadSubgraphSdl('order'),
    port: options.port,
    host: options.host,
    sandbox: options.sandbox,
    resolvers: orderResolvers,
    auth: options.auth,
    context: async (viewer) =>
      createContext(db, options.neighbours, viewer, { keyLeaseMs: options.idempotencyKeyLeaseMs }),
    ...options.limits,
    checks: [databaseCheck(db as Kysely<unknown>), ...(options.events ? [brokerCheck(options.events)] : [])],
  });
  const pruning = setInterval(() => {
    pruneIdempotencyKeys(db, new Date(Date.now() - retentionMs)).then(
      (deleted) => deleted > 0 && log.info({ deleted }, 'pruned idempotency keys'),
      (error: unknown) => log.warn({ err: error }, 'could not prune idempotency keys'),
    );
  }, PRUNE_EVERY_MS);
  pruning.unref();
  trackReservationCalls(() => countReservationCalls(db));
  const calls = options.reservationCalls ?? { pollIntervalMs: 1000 };
  const stopDispatcher =
    calls === false
      ? undefined
      : startReservationCallDispatcher(options.workerDb ?? db, options.neighbours, {
          pollIntervalMs: calls.pollIntervalMs,
          leaseMs: (options.serviceCallTimeoutMs ?? 2000) * 2 + 5000,
        });
  return {
    ...service,
    // The dispatcher's round in hand and the in-flight requests finish side by side, within the shutdown bound.
    stop: async () => {
      clearInterval(pruning);
      await Promise.all([stopDispatcher?.(), service.stop()]);
    },
  };
}
