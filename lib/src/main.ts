import type { Kysely } from 'kysely';
import { z } from 'zod';
import { env, parseConfig, runMain } from './config.js';
import { createDatabase } from './db.js';
import { eventsEnv } from './events/config.js';
import { createLogger } from './logger.js';
import { onShutdownSignal, type RunningService } from './server.js';

/** Settings every subgraph process reads from its environment. */
export const subgraphEnvSchema = (defaultPort: number) =>
  z.object({
    NODE_ENV: env.nodeEnv(),
    PORT: env.port(defaultPort),
    HOST: z.string().default('0.0.0.0'),
    // Run on its own, a subgraph needs a shared database: the embedded one
    // lives inside the single-process launcher (`pnpm start`).
    DATABASE_URL: env.postgresUrl(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    ...eventsEnv,
  });

export type SubgraphEnv = z.infer<ReturnType<typeof subgraphEnvSchema>>;

export interface SubgraphProcess<DB> {
  db: Kysely<DB>;
  port: number;
  host: string;
  sandbox: boolean;
  env: SubgraphEnv;
}

/**
 * The whole life of a standalone subgraph process: validate the environment,
 * open the database pool, start serving, and on SIGTERM drain requests and
 * close the pool.
 */
export async function runSubgraphProcess<DB>(
  name: string,
  defaultPort: number,
  start: (process: SubgraphProcess<DB>) => Promise<RunningService & { close?: () => Promise<void> }>,
): Promise<void> {
  const log = createLogger(name);
  await runMain(name, async () => {
    const config = parseConfig(subgraphEnvSchema(defaultPort));
    const db = createDatabase<DB>({ databaseUrl: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
    const service = await start({
      db,
      port: config.PORT,
      host: config.HOST,
      sandbox: config.NODE_ENV !== 'production',
      env: config,
    });
    onShutdownSignal(log, async () => {
      await service.stop();
      await service.close?.();
      await db.destroy();
    });
  });
}
