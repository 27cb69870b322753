import type { Kysely } from 'kysely';
import { z } from 'zod';
import { ConfigError, env, parseConfig, runMain, subgraphDatabaseUrl } from './config.js';
import { createDatabase, defaultDatabaseTimeouts, type DatabaseTimeouts } from './db.js';
import { eventsEnv } from './events/config.js';
import {
  createAuthenticator,
  DEFAULT_TOKEN_CACHE_SIZE,
  defaultRemoteJwksOptions,
  defaultTokenSettings,
  parseJwks,
  remoteJwks,
  staticKeys,
  type Authenticator,
} from './jwt.js';
import { DEFAULT_TRUST_PROXY } from './http-edge.js';
import { createLogger, setServiceName } from './logger.js';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS, onShutdownSignal, type RunningService, type ServiceLimits } from './server.js';
import type { SubgraphName } from './subgraph-names.js';
import type { Telemetry } from './telemetry/sdk.js';

const milliseconds = (fallback: number, min = 0, max = 86_400_000) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

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
  /** Background refresh of the JWKS: a removed key stops verifying within this (plus JWKS_TIMEOUT_MS). */
  JWKS_REFRESH_MS: milliseconds(defaultRemoteJwksOptions.refreshMs, 100),
  /** At most one fetch per this interval for tokens with an unknown kid. */
  JWKS_COOLDOWN_MS: milliseconds(defaultRemoteJwksOptions.cooldownMs),
  JWKS_TIMEOUT_MS: milliseconds(defaultRemoteJwksOptions.timeoutMs, 100, 60_000),
  /** How long the last fetched keys keep verifying while the issuer is unreachable. */
  JWKS_MAX_STALE_MS: milliseconds(defaultRemoteJwksOptions.maxStaleMs, 1000),
  /** Verified tokens cached until they expire (0: off). */
  TOKEN_CACHE_SIZE: z.coerce.number().int().min(0).max(1_000_000).default(DEFAULT_TOKEN_CACHE_SIZE),
};

export type AuthEnv = z.infer<z.ZodObject<typeof authEnvShape>>;

/** The verifier for a service that does not issue tokens: static keys or the issuer's JWKS. */
export function authenticatorFromEnv(config: AuthEnv): Authenticator {
  const settings = { ...defaultTokenSettings, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
  const tokenCacheSize = config.TOKEN_CACHE_SIZE;
  if (config.JWT_PUBLIC_KEYS) {
    const keys = parseJwks(JSON.parse(config.JWT_PUBLIC_KEYS));
    return createAuthenticator({
      settings,
      tokenCacheSize,
      keys: staticKeys([...keys].map(([kid, publicKey]) => ({ kid, publicKey }))),
    });
  }
  if (config.JWKS_URL) {
    const keys = remoteJwks(config.JWKS_URL, {
      refreshMs: config.JWKS_REFRESH_MS,
      cooldownMs: config.JWKS_COOLDOWN_MS,
      timeoutMs: config.JWKS_TIMEOUT_MS,
      maxStaleMs: config.JWKS_MAX_STALE_MS,
    });
    return createAuthenticator({ settings, tokenCacheSize, keys });
  }
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

/** Probe and shutdown settings of every process (README: Configuration). */
export const lifecycleEnvShape = {
  /** `/ready` counts a check that has not answered within this as down. */
  READY_TIMEOUT_MS: milliseconds(2_000, 100, 60_000),
  /** The bound on a graceful shutdown after SIGTERM; then the process exits with code 1. */
  SHUTDOWN_TIMEOUT_MS: milliseconds(DEFAULT_SHUTDOWN_TIMEOUT_MS, 1_000, 600_000),
  /** After SIGTERM, how long to keep taking requests while /ready answers 503 (load balancers catching up). */
  SHUTDOWN_DELAY_MS: milliseconds(1_000, 0, 60_000),
};

export type LifecycleEnv = z.infer<z.ZodObject<typeof lifecycleEnvShape>>;

/**
 * The probe and drain timings of a service: after the stop delay, in-flight
 * requests get 60 % of what is left of the shutdown bound; the rest is for the
 * relay, consumers and connections.
 */
export function serviceLimits(config: LifecycleEnv): ServiceLimits {
  const delay = Math.min(config.SHUTDOWN_DELAY_MS, Math.floor(config.SHUTDOWN_TIMEOUT_MS / 2));
  return {
    readyTimeoutMs: config.READY_TIMEOUT_MS,
    stopDelayMs: delay,
    drainTimeoutMs: Math.floor((config.SHUTDOWN_TIMEOUT_MS - delay) * 0.6),
  };
}

/** Postgres time limits (README: Configuration). */
export const databaseEnvShape = {
  DATABASE_CONNECT_TIMEOUT_MS: milliseconds(defaultDatabaseTimeouts.connectMs, 0, 600_000),
  DATABASE_STATEMENT_TIMEOUT_MS: milliseconds(defaultDatabaseTimeouts.statementMs),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: milliseconds(defaultDatabaseTimeouts.idleInTransactionMs),
};

export function databaseTimeouts(config: z.infer<z.ZodObject<typeof databaseEnvShape>>): DatabaseTimeouts {
  return {
    connectMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    idleInTransactionMs: config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  };
}

/** Settings every subgraph process reads from its environment. */
export const subgraphEnvSchema = (defaultPort: number) =>
  z
    .object({
      NODE_ENV: env.nodeEnv(),
      PORT: env.port(defaultPort),
      HOST: z.string().default('0.0.0.0'),
      // Run on its own, a subgraph needs its database: <SUBGRAPH>_DATABASE_URL or
      // DATABASE_URL (see subgraphDatabaseUrl). The embedded one lives inside
      // the single-process launcher (`pnpm start`).
      DATABASE_URL: env.postgresUrl().optional(),
      DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
      /** Proxies (the gateway, a load balancer) whose X-Forwarded-For is believed. */
      TRUST_PROXY: z.string().default(DEFAULT_TRUST_PROXY),
      ...databaseEnvShape,
      ...lifecycleEnvShape,
      ...eventsEnv,
      ...authEnvShape,
    })
    .refine(relayFitsIdleTimeout, relayFitsIdleTimeoutIssue);

/**
 * A relay batch is one transaction that waits for the broker's confirms: it
 * must give up before Postgres ends the session as idle in transaction.
 */
export function relayFitsIdleTimeout(config: {
  OUTBOX_CONFIRM_TIMEOUT_MS: number;
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: number;
}): boolean {
  const idle = config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS;
  return idle === 0 || config.OUTBOX_CONFIRM_TIMEOUT_MS < idle;
}

export const relayFitsIdleTimeoutIssue = {
  message:
    'must be shorter than DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS (a relay batch waits for confirms in a transaction)',
  path: ['OUTBOX_CONFIRM_TIMEOUT_MS'],
};

export type SubgraphEnv = z.infer<ReturnType<typeof subgraphEnvSchema>>;

export interface SubgraphProcess<DB> {
  db: Kysely<DB>;
  /** This subgraph's own database (docs/adr/0013). */
  databaseUrl: string;
  port: number;
  host: string;
  sandbox: boolean;
  env: SubgraphEnv;
  limits: ServiceLimits;
}

/**
 * The whole life of a standalone subgraph process: validate the environment,
 * open the database pool, start serving, and on SIGTERM stop accepting
 * requests and drain them while the background work (`close`: relay,
 * consumers, broker) stops, then close the pool, all within
 * SHUTDOWN_TIMEOUT_MS.
 */
export async function runSubgraphProcess<DB>(
  name: SubgraphName,
  defaultPort: number,
  start: (process: SubgraphProcess<DB>) => Promise<RunningService & { close?: () => Promise<void> }>,
): Promise<void> {
  const log = createLogger(name);
  await runMain(name, async () => {
    const telemetry = await startServiceTelemetry(name);
    const config = parseConfig(subgraphEnvSchema(defaultPort));
    const databaseUrl = subgraphDatabaseUrl(name);
    const db = createDatabase<DB>({
      name,
      databaseUrl,
      poolSize: config.DATABASE_POOL_SIZE,
      applicationName: name,
      timeouts: databaseTimeouts(config),
    });
    const service = await start({
      db,
      databaseUrl,
      port: config.PORT,
      host: config.HOST,
      sandbox: config.NODE_ENV !== 'production',
      env: config,
      limits: serviceLimits(config),
    });
    onShutdownSignal(
      log,
      async () => {
        // In-flight requests need the database, not the broker: both run at once.
        await Promise.all([service.stop(), service.close?.()]);
        await db.destroy();
        await telemetry.shutdown();
      },
      config.SHUTDOWN_TIMEOUT_MS,
    );
  });
}
