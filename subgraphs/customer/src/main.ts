import { deliveryOptions, openEventTransport, runSubgraphProcess } from '@shopgraph/lib';
import { startCustomer } from './app.js';
import type { CustomerDatabase } from './database.js';
import { startCustomerConsumers } from './events.js';

await runSubgraphProcess<CustomerDatabase>('customer', 4001, async (process) => {
  const { env } = process;
  const events = await openEventTransport({ ...deliveryOptions(env), amqpUrl: env.AMQP_URL });
  const consumers = env.EVENT_CONSUMERS ? await startCustomerConsumers(process.db, events) : undefined;
  const service = await startCustomer({ ...process, events });
  return {
    ...service,
    close: async () => {
      await consumers?.cancel();
      await events.close();
    },
  };
});
