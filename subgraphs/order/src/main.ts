import {
  authenticatorFromEnv,
  deliveryOptions,
  openEventTransport,
  parseConfig,
  relayOptions,
  runSubgraphProcess,
} from '@shopgraph/lib';
import { z } from 'zod';
import { startOrder } from './app.js';
import type { OrderDatabase } from './database.js';
import { startOrderRelay } from './outbox/outbox.relay.js';

await runSubgraphProcess<OrderDatabase>('order', 4003, async (process) => {
  const { env } = process;
  const events = await openEventTransport({ ...deliveryOptions(env), amqpUrl: env.AMQP_URL });
  // OUTBOX_RELAY=false when the relay runs as its own process (`pnpm --filter @shopgraph/order relay`).
  const relay = env.OUTBOX_RELAY
    ? await startOrderRelay({
        db: process.db,
        transport: events,
        listen: {
          databaseUrl: env.DATABASE_URL,
          applicationName: 'order-relay',
          connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
        },
        relay: relayOptions(env),
      })
    : undefined;
  const { IDEMPOTENCY_KEY_RETENTION_HOURS } = parseConfig(
    z.object({ IDEMPOTENCY_KEY_RETENTION_HOURS: z.coerce.number().int().min(24).default(48) }),
  );
  const service = await startOrder({
    ...process,
    auth: authenticatorFromEnv(env),
    events,
    idempotencyKeyRetentionHours: IDEMPOTENCY_KEY_RETENTION_HOURS,
  });
  return {
    ...service,
    close: async () => {
      await relay?.stop();
      await events.close();
    },
  };
});
