/**
 * The order outbox relay as its own process (`pnpm --filter @shopgraph/order relay`):
 * for deployments that run the relay apart from the order subgraph's HTTP
 * replicas (then set OUTBOX_RELAY=false on those). Any number may run; one is
 * active at a time.
 */
import {
  brokerCheck,
  createDatabase,
  createLogger,
  databaseCheck,
  databaseTimeouts,
  deliveryOptions,
  onShutdownSignal,
  openEventTransport,
  parseConfig,
  relayOptions,
  runMain,
  startProbeServer,
  startServiceTelemetry,
  subgraphDatabaseUrl,
  subgraphEnvSchema,
} from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import type { OrderDatabase } from './database.js';
import { startOrderRelay } from './outbox/outbox.relay.js';

const log = createLogger('events.relay');

await runMain('order-relay', async () => {
  const telemetry = await startServiceTelemetry('relay');
  // PORT serves /health, /ready and /metrics (4004 by default).
  const env = parseConfig(subgraphEnvSchema(4004));
  const databaseUrl = subgraphDatabaseUrl('order');
  const db = createDatabase<OrderDatabase>({
    name: 'relay',
    databaseUrl,
    poolSize: 2,
    applicationName: 'order-relay',
    timeouts: databaseTimeouts(env),
  });
  const events = await openEventTransport({ ...deliveryOptions(env), amqpUrl: env.AMQP_URL });
  if (events.kind === 'in-process') log.warn('no AMQP_URL: a standalone relay has no consumer to deliver to');
  const relay = await startOrderRelay({
    db,
    transport: events,
    listen: {
      databaseUrl,
      applicationName: 'order-relay',
      connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
    },
    relay: relayOptions(env),
  });
  log.info({ exchange: env.EVENTS_EXCHANGE }, 'order outbox relay started');
  const closeProbes = await startProbeServer({
    name: 'order-relay',
    port: env.PORT,
    host: env.HOST,
    logger: log,
    readyTimeoutMs: env.READY_TIMEOUT_MS,
    // The relay serves no requests: it is ready when it can do its one job.
    checks: [databaseCheck(db as Kysely<unknown>), brokerCheck(events, true)],
  });
  onShutdownSignal(
    log,
    async () => {
      await closeProbes();
      // Finishes the batch in hand (bounded by OUTBOX_CONFIRM_TIMEOUT_MS); its rows are marked or left for later.
      await relay.stop();
      await events.close();
      await db.destroy();
      await telemetry.shutdown();
    },
    env.SHUTDOWN_TIMEOUT_MS,
  );
});
