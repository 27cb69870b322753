import {
  authenticatorFromEnv,
  deliveryOptions,
  openEventTransport,
  relayOptions,
  runSubgraphProcess,
} from '@shopgraph/lib';
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
        listen: { databaseUrl: env.DATABASE_URL },
        relay: relayOptions(env),
      })
    : undefined;
  const service = await startOrder({ ...process, auth: authenticatorFromEnv(env), events });
  return {
    ...service,
    close: async () => {
      await relay?.stop();
      await events.close();
    },
  };
});
