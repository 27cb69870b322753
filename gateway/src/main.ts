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
  startServiceTelemetry,
} from '@shopgraph/lib';
import { z } from 'zod';
import { startGateway } from './app.js';
import { gatewayEnvShape, gatewaySettingsFromEnv } from './gateway.config.js';

const log = createLogger('gateway');

await runMain('gateway', async () => {
  const telemetry = await startServiceTelemetry('gateway');
  const config = parseConfig(
    z.object({
      NODE_ENV: env.nodeEnv(),
      PORT: env.port(4000),
      HOST: z.string().default('0.0.0.0'),
      CUSTOMER_URL: env.url().optional(),
      INVENTORY_URL: env.url().optional(),
      ORDER_URL: env.url().optional(),
      ...gatewayEnvShape,
      ...authEnvShape,
      ...lifecycleEnvShape,
    }),
  );
  const production = config.NODE_ENV === 'production';
  const service = await startGateway({
    ...gatewaySettingsFromEnv(config, production),
    port: config.PORT,
    host: config.HOST,
    sandbox: !production,
    auth: authenticatorFromEnv(config),
    subgraphUrls: { customer: config.CUSTOMER_URL, inventory: config.INVENTORY_URL, order: config.ORDER_URL },
    serviceLimits: serviceLimits(config),
  });
  onShutdownSignal(
    log,
    async () => {
      await service.stop();
      await telemetry.shutdown();
    },
    config.SHUTDOWN_TIMEOUT_MS,
  );
});
