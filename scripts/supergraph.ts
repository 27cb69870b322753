/**
 * Starts the whole supergraph in one process: the three subgraphs on their
 * ports and the gateway in front of them. Used by `pnpm start` (embedded
 * default) and by the end-to-end tests (on free ports).
 */
import {
  createPasswordHasher,
  DEFAULT_LOGIN_LIMITS,
  notificationSender,
  type LoginLimitSettings,
  startCustomer,
  startCustomerConsumers,
  startNotificationDispatcher,
  type CustomerDatabase,
  type PasswordHashCost,
} from '@shopgraph/customer';
import { startGateway, type GatewayOptions } from '@shopgraph/gateway';
import { startInventory, type InventoryDatabase } from '@shopgraph/inventory';
import { randomBytes } from 'node:crypto';
import {
  createAuthenticator,
  createDatabase,
  defaultTokenSettings,
  openEventTransport,
  staticKeys,
  type Authenticator,
  type DatabaseTimeouts,
  type DeliveryOptions,
  type EventTransport,
  type OutboxRelay,
  type PGlite,
  type RelayOptions,
  type RunningService,
  type ServiceLimits,
  type SigningKey,
  type SubgraphName,
  type TokenSettings,
  type VerificationKey,
} from '@shopgraph/lib';
import { connectNeighbours, startOrder, startOrderRelay, type Neighbours, type OrderDatabase } from '@shopgraph/order';
import type { Kysely } from 'kysely';

export type { SubgraphName };

export interface SupergraphAuth {
  /** The key the customer subgraph signs tokens with. */
  signingKey: SigningKey & VerificationKey;
  /** Further public keys still accepted (a rotation in progress). */
  previousKeys?: VerificationKey[] | undefined;
  tokenSettings?: TokenSettings | undefined;
  tokenTtlSeconds?: number | undefined;
  /** Argon2id cost; lowered only in tests. */
  passwordCost?: PasswordHashCost | undefined;
  /** Failed-login limits; defaults to {@link DEFAULT_LOGIN_LIMITS}. */
  loginLimits?: LoginLimitSettings | undefined;
}

export interface SupergraphOptions {
  /**
   * Real Postgres: each subgraph's own database (docs/adr/0013). Without them
   * every subgraph uses `pglite`, each in its own schema.
   */
  databaseUrls?: Readonly<Record<SubgraphName, string>> | undefined;
  pglite?: PGlite | undefined;
  /** Gateway port (0: any free port); subgraphs take the next three, or free ports when 0. */
  port: number;
  host?: string | undefined;
  sandbox: boolean;
  /** Allow schema introspection at the gateway (default: where the Sandbox is served). */
  introspection?: boolean | undefined;
  auth: SupergraphAuth;
  /** Called with (subgraph, sql) for every statement a subgraph runs. */
  onQuery?: ((subgraph: SubgraphName, sql: string) => void) | undefined;
  /** Postgres connections per subgraph (default 10). */
  poolSize?: number | undefined;
  /** Postgres time limits (defaults: `defaultDatabaseTimeouts`). */
  databaseTimeouts?: Partial<DatabaseTimeouts> | undefined;
  /** Probe and drain timings of every service. */
  limits?: ServiceLimits | undefined;
  /** RabbitMQ; without it the relay delivers to the consumers in this process. */
  amqpUrl?: string | undefined;
  /** The notification sender's webhook; without it notifications are logged. */
  notificationWebhookUrl?: string | undefined;
  /** Event delivery and relay settings; defaults suit the embedded default. */
  events?: Partial<DeliveryOptions & RelayOptions> | undefined;
  /** The secret of the services' internal calls; a random one when absent (one process knows it all). */
  serviceAuthSecret?: string | undefined;
  /** Stock reservations: TTL (default 15 minutes) and sweep interval (default 5 s). */
  reservations?: { ttlMs?: number | undefined; sweepIntervalMs?: number | undefined } | undefined;
  /** Longest a service call may take (default 2 s). */
  serviceCallTimeoutMs?: number | undefined;
  /** How often the order service's reservation call dispatcher looks for due calls (default 1 s). */
  reservationCallPollIntervalMs?: number | undefined;
  /** The gateway's edge: introspection (default: on with `sandbox`), CORS, limits, subgraph calls, persisted operations. */
  gateway?: Partial<Omit<GatewayOptions, 'port' | 'host' | 'sandbox' | 'auth' | 'subgraphUrls'>> | undefined;
}

export interface RunningSupergraph {
  gateway: RunningService;
  subgraphs: Record<SubgraphName, RunningService>;
  /** The transport between the order outbox relay and the customer consumers. */
  events: EventTransport;
  relay: OutboxRelay;
  /** The order service's proxies to inventory and customer, as the order subgraph uses them. */
  orderNeighbours: Neighbours;
  stop(): Promise<void>;
}

const EVENT_DEFAULTS: DeliveryOptions & RelayOptions = {
  exchange: 'shopgraph.events',
  prefetch: 20,
  maxAttempts: 5,
  retryBaseDelayMs: 1000,
  batchSize: 200,
  pollIntervalMs: 1000,
  retentionMs: 7 * 24 * 3_600_000,
};

export async function startSupergraph(options: SupergraphOptions): Promise<RunningSupergraph> {
  const dbs: Kysely<unknown>[] = [];
  const urls = options.databaseUrls;
  const open = <DB>(name: SubgraphName): Kysely<DB> => {
    const db = createDatabase<DB>({
      name,
      databaseUrl: urls?.[name],
      pglite: options.pglite,
      poolSize: options.poolSize,
      applicationName: name,
      timeouts: options.databaseTimeouts,
      onQuery: options.onQuery && ((sql) => options.onQuery?.(name, sql)),
    });
    dbs.push(db as Kysely<unknown>);
    return db;
  };
  // The relay and the consumers work in the background: they get their own
  // connections, apart from the ones serving requests (and from `onQuery`).
  const openWorker = <DB>(subgraph: SubgraphName, name: string, poolSize = 2): Kysely<DB> => {
    const db = createDatabase<DB>({
      name,
      databaseUrl: urls?.[subgraph],
      pglite: options.pglite,
      poolSize,
      applicationName: name,
      timeouts: options.databaseTimeouts,
    });
    dbs.push(db as Kysely<unknown>);
    return db;
  };
  const portAfter = (offset: number) => (options.port === 0 ? 0 : options.port + offset);
  const tokenSettings = options.auth.tokenSettings ?? defaultTokenSettings;
  const publishedKeys = [options.auth.signingKey, ...(options.auth.previousKeys ?? [])];
  // In one process every service holds the public keys directly; separate
  // processes fetch them from the customer subgraph's JWKS instead.
  const auth: Authenticator = createAuthenticator({ settings: tokenSettings, keys: staticKeys(publishedKeys) });
  // Only the gateway faces clients; the subgraphs behind it stop without a delay once it has drained.
  const common = { host: options.host, sandbox: options.sandbox, auth, limits: { ...options.limits, stopDelayMs: 0 } };

  const eventOptions = { ...EVENT_DEFAULTS, ...options.events };
  const events = await openEventTransport({ ...eventOptions, amqpUrl: options.amqpUrl });
  // Consumers first, so the relay's first publish has somewhere to go.
  const consumers = await startCustomerConsumers(
    openWorker<CustomerDatabase>('customer', 'customer-consumers', 4),
    events,
  );
  const dispatcher = await startNotificationDispatcher({
    db: openWorker<CustomerDatabase>('customer', 'customer-notifications'),
    sender: notificationSender({
      NOTIFICATION_WEBHOOK_URL: options.notificationWebhookUrl,
      NOTIFICATION_WEBHOOK_TIMEOUT_MS: 5_000,
    }),
    listen: { databaseUrl: urls?.customer, pglite: options.pglite, applicationName: 'customer-notifications' },
  });
  const relay = await startOrderRelay({
    db: openWorker<OrderDatabase>('order', 'order-relay'),
    transport: events,
    listen: { databaseUrl: urls?.order, pglite: options.pglite, applicationName: 'order-relay' },
    relay: eventOptions,
  });
  const secrets = [options.serviceAuthSecret ?? randomBytes(32).toString('base64url')];

  const customer = await startCustomer({
    ...common,
    db: open<CustomerDatabase>('customer'),
    events,
    serviceAuth: { service: 'customer', secrets },
    port: portAfter(1),
    publishedKeys,
    accounts: {
      hasher: createPasswordHasher(options.auth.passwordCost),
      signingKey: options.auth.signingKey,
      tokenSettings,
      tokenTtlSeconds: options.auth.tokenTtlSeconds ?? 900,
      loginLimits: options.auth.loginLimits ?? DEFAULT_LOGIN_LIMITS,
    },
    trustProxy: options.gateway?.trustProxy,
  });
  const inventory = await startInventory({
    ...common,
    db: open<InventoryDatabase>('inventory'),
    workerDb: openWorker<InventoryDatabase>('inventory', 'inventory-sweeper'),
    port: portAfter(2),
    serviceAuth: { service: 'inventory', secrets },
    reservations: {
      ttlMs: options.reservations?.ttlMs ?? 15 * 60_000,
      sweepIntervalMs: options.reservations?.sweepIntervalMs ?? 5000,
    },
  });
  // The order service reaches its neighbours over HTTP, as in production.
  const orderNeighbours = connectNeighbours({
    inventoryUrl: inventory.url,
    customerUrl: customer.url,
    serviceAuth: { service: 'order', secrets },
    timeoutMs: options.serviceCallTimeoutMs,
  });
  const order = await startOrder({
    ...common,
    db: open<OrderDatabase>('order'),
    workerDb: openWorker<OrderDatabase>('order', 'order-reservation-calls'),
    port: portAfter(3),
    events,
    neighbours: orderNeighbours,
    serviceCallTimeoutMs: options.serviceCallTimeoutMs,
    reservationCalls: { pollIntervalMs: options.reservationCallPollIntervalMs ?? 1000 },
  });
  const gateway = await startGateway({
    host: options.host,
    sandbox: options.sandbox,
    auth,
    serviceLimits: options.limits,
    introspection: options.introspection ?? options.sandbox,
    ...options.gateway,
    port: options.port,
    subgraphUrls: { customer: customer.graphqlUrl, inventory: inventory.graphqlUrl, order: order.graphqlUrl },
  });

  return {
    gateway,
    subgraphs: { customer, inventory, order },
    events,
    relay,
    orderNeighbours,
    async stop() {
      await gateway.stop();
      await Promise.all([customer.stop(), inventory.stop(), order.stop()]);
      await orderNeighbours.close();
      await Promise.all([relay.stop(), consumers.cancel(), dispatcher.stop()]);
      await events.close();
      // The embedded PGlite instance is shared: its owner closes it, not each Kysely.
      if (urls) await Promise.all(dbs.map((db) => db.destroy()));
    },
  };
}
