import type { Kysely } from 'kysely';
import { z } from 'zod';
import { ConfigError, env, parseConfig, runMain } from './config.js';
import { DEFAULT_TRUST_PROXY } from './http-edge.js';
import { createDatabase } from './db.js';
import { eventsEnv } from './events/config.js';
import { defaultTokenSettings, parseJwks, remoteJwks, staticKeys, type Authenticator } from './jwt.js';
import { createLogger, setServiceName } from './logger.js';
import { onShutdownSignal, type RunningService } from './server.js';
import type { Telemetry } from './telemetry/sdk.js';

/** Token verification settings every service reads from its environment. */
export const authEnvShape = {
  JWT_ISSUER: z.string().default(defaultTokenSettings.issuer),
  JWT_AUDIENCE: z.string().default(defaultTokenSettings.audience),
  /** The customer subgraph's JWKS document URL. */
  JWKS_URL: env.url().optional(),
  /** A JWKS document (JSON) of accepted public keys; takes precedence over JWKS_URL. */
  JWT_PUBLIC_KEYS: z
    .string()
    .refine((v) => {
      try {
        return parseJwks(JSON.parse(v)).size > 0;
      } catch {
        return false;
      }
    }, 'must be a JWKS JSON document with at least one EC P-256 key')
    .optional(),
};

export type AuthEnv = z.infer<z.ZodObject<typeof authEnvShape>>;

/** The verifier for a service that does not issue tokens: static keys or the issuer's JWKS. */
export function authenticatorFromEnv(config: AuthEnv): Authenticator {
  const settings = { ...defaultTokenSettings, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
  if (config.JWT_PUBLIC_KEYS) {
    const keys = parseJwks(JSON.parse(config.JWT_PUBLIC_KEYS));
    return { settings, keys: staticKeys([...keys].map(([kid, publicKey]) => ({ kid, publicKey }))) };
  }
  if (config.JWKS_URL) return { settings, keys: remoteJwks(config.JWKS_URL) };
  throw new ConfigError([
    "JWKS_URL: set JWKS_URL (the customer subgraph's /.well-known/jwks.json) or JWT_PUBLIC_KEYS to verify tokens",
  ]);
}

/**
 * Names this process's service (the `service` of its log lines unless
 * `SERVICE_NAME` is set) and starts OpenTelemetry under that name. Call it
 * first in a service's main, and shut the result down last: it flushes the
 * spans still buffered.
 */
export async function startServiceTelemetry(name: string): Promise<Telemetry> {
  setServiceName(name);
  // Loaded on demand: the SDK is only for service processes, not for code
  // (tests, scripts) that imports this library.
  const { startTelemetry } = await import('./telemetry/sdk.js');
  return startTelemetry(name);
}

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
    /** Proxies (the gateway, a load balancer) whose X-Forwarded-For is believed. */
    TRUST_PROXY: z.string().default(DEFAULT_TRUST_PROXY),
    ...eventsEnv,
    ...authEnvShape,
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
    const telemetry = await startServiceTelemetry(name);
    const config = parseConfig(subgraphEnvSchema(defaultPort));
    const db = createDatabase<DB>({ name, databaseUrl: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
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
      await telemetry.shutdown();
    });
  });
}
