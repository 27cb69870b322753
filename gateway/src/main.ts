import {
  authEnvShape,
  authenticatorFromEnv,
  createLogger,
  env,
  lifecycleEnvShape,
  onShutdownSignal,
  parseConfig,
  runMain,
  serviceLimits,
} from '@shopgraph/lib';
import { z } from 'zod';
import { startGateway } from './app.js';

const log = createLogger('gateway');

await runMain('gateway', async () => {
  const config = parseConfig(
    z.object({
      NODE_ENV: env.nodeEnv(),
      PORT: env.port(4000),
      HOST: z.string().default('0.0.0.0'),
      CUSTOMER_URL: env.url().optional(),
      INVENTORY_URL: env.url().optional(),
      ORDER_URL: env.url().optional(),
      MAX_QUERY_DEPTH: z.coerce.number().int().min(2).max(50).default(12),
      MAX_QUERY_COST: z.coerce.number().int().min(100).default(10_000),
      INTROSPECTION: env.optionalBool(),
      ...authEnvShape,
      ...lifecycleEnvShape,
    }),
  );
  const service = await startGateway({
    port: config.PORT,
    host: config.HOST,
    sandbox: config.NODE_ENV !== 'production',
    auth: authenticatorFromEnv(config),
    maxQueryDepth: config.MAX_QUERY_DEPTH,
    maxQueryCost: config.MAX_QUERY_COST,
    introspection: config.INTROSPECTION ?? config.NODE_ENV !== 'production',
    subgraphUrls: { customer: config.CUSTOMER_URL, inventory: config.INVENTORY_URL, order: config.ORDER_URL },
    limits: serviceLimits(config),
  });
  onShutdownSignal(log, () => service.stop(), config.SHUTDOWN_TIMEOUT_MS);
});
