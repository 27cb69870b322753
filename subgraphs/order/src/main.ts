import {
  authenticatorFromEnv,
  databaseFailureBoundMs,
  databaseTimeouts,
  deliveryOptions,
  env,
  openEventTransport,
  parseConfig,
  relayOptions,
  runSubgraphProcess,
  serviceAuthEnvShape,
} from '@shopgraph/lib';
import { z } from 'zod';
import { startOrder } from './app.js';
import type { OrderDatabase } from './database.js';
import { connectNeighbours } from './neighbours.js';
import { keyLeaseFor } from './order/place-order.service.js';
import { startOrderRelay } from './outbox/outbox.relay.js';

await runSubgraphProcess<OrderDatabase>('order', 4003, async (process) => {
  const { env: common } = process;
  const config = parseConfig(
    z.object({
      ...serviceAuthEnvShape,
      IDEMPOTENCY_KEY_RETENTION_HOURS: z.coerce.number().int().min(24).default(48),
      INVENTORY_SERVICE_URL: env.url().default('http://127.0.0.1:4002'),
      CUSTOMER_SERVICE_URL: env.url().default('http://127.0.0.1:4001'),
      SERVICE_CALL_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
      RESERVATION_CALLS: env.bool(true),
      RESERVATION_CALL_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
    }),
  );
  const events = await openEventTransport({ ...deliveryOptions(common), amqpUrl: common.AMQP_URL });
  // OUTBOX_RELAY=false when the relay runs as its own process (`pnpm --filter @shopgraph/order relay`).
  const relay = common.OUTBOX_RELAY
    ? await startOrderRelay({
        db: process.db,
        transport: events,
        listen: {
          databaseUrl: process.databaseUrl,
          applicationName: 'order-relay',
          connectTimeoutMs: common.DATABASE_CONNECT_TIMEOUT_MS,
        },
        relay: relayOptions(common),
      })
    : undefined;
  const neighbours = connectNeighbours({
    inventoryUrl: config.INVENTORY_SERVICE_URL,
    customerUrl: config.CUSTOMER_SERVICE_URL,
    serviceAuth: { service: 'order', secrets: config.SERVICE_AUTH_SECRET },
    timeoutMs: config.SERVICE_CALL_TIMEOUT_MS,
  });
  const service = await startOrder({
    ...process,
    auth: authenticatorFromEnv(common),
    events,
    idempotencyKeyRetentionHours: config.IDEMPOTENCY_KEY_RETENTION_HOURS,
    neighbours,
    serviceCallTimeoutMs: config.SERVICE_CALL_TIMEOUT_MS,
    idempotencyKeyLeaseMs: keyLeaseFor(
      config.SERVICE_CALL_TIMEOUT_MS,
      databaseFailureBoundMs(databaseTimeouts(common)),
    ),
    reservationCalls: config.RESERVATION_CALLS && { pollIntervalMs: config.RESERVATION_CALL_POLL_INTERVAL_MS },
  });
  return {
    ...service,
    // In-flight requests and the reservation call dispatcher call the neighbours until they are done.
    stop: async () => {
      await service.stop();
      await neighbours.close();
    },
    close: async () => {
      await relay?.stop();
      await events.close();
    },
  };
});
