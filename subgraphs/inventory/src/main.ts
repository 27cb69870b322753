import { authenticatorFromEnv, env, parseConfig, runSubgraphProcess, serviceAuthEnvShape } from '@shopgraph/lib';
import { z } from 'zod';
import { startInventory } from './app.js';
import type { InventoryDatabase } from './database.js';

await runSubgraphProcess<InventoryDatabase>('inventory', 4002, (options) => {
  const config = parseConfig(
    z.object({
      ...serviceAuthEnvShape,
      RESERVATION_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
      RESERVATION_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
      RESERVATION_SWEEPER: env.bool(true),
    }),
  );
  return startInventory({
    ...options,
    auth: authenticatorFromEnv(options.env),
    serviceAuth: { service: 'inventory', secrets: config.SERVICE_AUTH_SECRET },
    reservations: {
      ttlMs: config.RESERVATION_TTL_SECONDS * 1000,
      sweepIntervalMs: config.RESERVATION_SWEEP_INTERVAL_MS,
      sweeper: config.RESERVATION_SWEEPER,
    },
  });
});
