/**
 * `pnpm start`: the whole supergraph in one process. Without database URLs it
 * runs on embedded PGlite persisted under DATA_DIR (default .data/), one
 * instance with a schema and a migration history per subgraph; with
 * DATABASE_URL or a URL per subgraph (CUSTOMER_DATABASE_URL, …), on real
 * Postgres. Migrates, seeds the demo data on first start, and prints the
 * gateway URL.
 */
import { createServer } from 'node:net';
import { createPasswordHasher } from '@shopgraph/customer';
import { gatewayEnvShape, gatewaySettingsFromEnv } from '@shopgraph/gateway';
import { accountEnvShape, loginLimitsFromEnv, passwordCostFromEnv } from '@shopgraph/customer/account-config';
import { notificationEnvShape } from '@shopgraph/customer';
import {
  ConfigError,
  createDatabase,
  createLogger,
  databaseEnvShape,
  databaseTimeouts,
  deliveryOptions,
  env,
  eventsEnv,
  lifecycleEnvShape,
  loadOrCreateLocalSigningKey,
  onShutdownSignal,
  openPglite,
  parseConfig,
  relayOptions,
  runMain,
  serviceAuthEnvShape,
  serviceLimits,
  signingKeyFromPem,
  startServiceTelemetry,
  SUBGRAPHS,
  subgraphDatabaseUrls,
  type SubgraphName,
} from '@shopgraph/lib';
import { MIGRATION_TIMEOUTS, migrateSubgraph } from '@shopgraph/migrations';
import { z } from 'zod';
import type { Kysely } from 'kysely';
import type { OrderDatabase } from '@shopgraph/order';
import { DEMO_ACCOUNTS, placeDemoOrders, seedDemoCatalog, type DemoDatabases } from './seed.js';
import { startSupergraph } from './supergraph.js';

const log = createLogger('launcher');

await runMain('shopgraph', async () => {
  // One process serves every service: each request's logs name the service
  // that serves it, spans share the process's name.
  const telemetry = await startServiceTelemetry('shopgraph');
  const config = parseConfig(
    z.object({
      NODE_ENV: env.nodeEnv(),
      PORT: env.port(4000),
      HOST: z.string().default('127.0.0.1'),
      DATA_DIR: z.string().default('.data'),
      // Demo accounts have published passwords: seeded by default only into
      // the embedded database, never silently into a real one, and never in
      // production.
      SEED_DEMO_DATA: env.optionalBool(),
      JWT_PRIVATE_KEY: z.string().optional(),
      JWT_KEY_ID: z.string().default('k1'),
      ...accountEnvShape,
      ...notificationEnvShape,
      ...eventsEnv,
      ...gatewayEnvShape,
      ...databaseEnvShape,
      ...lifecycleEnvShape,
      // Optional here: one process knows every service, so a random secret will do.
      SERVICE_AUTH_SECRET: serviceAuthEnvShape.SERVICE_AUTH_SECRET.optional(),
      // Longer than a standalone order service's 2 s: here every service shares one thread and,
      // on PGlite, one database connection, so a call queues behind the others' work. The
      // neighbour cannot be down on its own, which is what failing fast is for.
      SERVICE_CALL_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
    }),
  );
  const production = config.NODE_ENV === 'production';
  // Parsed before anything starts, so a bad gateway setting stops the launcher at once.
  const gatewaySettings = gatewaySettingsFromEnv(config, production);
  if (production && config.SEED_DEMO_DATA) {
    throw new ConfigError([
      'SEED_DEMO_DATA: the demo accounts have published passwords and are never seeded in production (NODE_ENV=production)',
    ]);
  }
  const urls = subgraphDatabaseUrls();
  const missing = SUBGRAPHS.filter((s) => !urls[s]);
  if (missing.length > 0 && missing.length < SUBGRAPHS.length) {
    throw new ConfigError([`DATABASE_URL: set it, or a database URL for each of ${missing.join(', ')} too`]);
  }
  const databaseUrls = missing.length === 0 ? (urls as Record<SubgraphName, string>) : undefined;
  const seed = config.SEED_DEMO_DATA ?? (!databaseUrls && !production);
  // A taken port is found before the database work, not after it.
  await checkPortsFree(config.HOST, config.PORT);
  const signingKey = config.JWT_PRIVATE_KEY
    ? signingKeyFromPem(config.JWT_KEY_ID, config.JWT_PRIVATE_KEY.replaceAll('\\n', '\n'))
    : loadOrCreateLocalSigningKey(config.DATA_DIR);
  const passwordCost = passwordCostFromEnv(config);
  const pglite = databaseUrls ? undefined : await openPglite(`${config.DATA_DIR}/pg`);
  // Each subgraph migrates its own history in its own database (or schema, on PGlite).
  const dbs = Object.fromEntries(
    SUBGRAPHS.map((s) => [
      s,
      createDatabase<unknown>({ databaseUrl: databaseUrls?.[s], pglite, poolSize: 2, timeouts: MIGRATION_TIMEOUTS }),
    ]),
  ) as Record<SubgraphName, Kysely<unknown>>;
  for (const subgraph of SUBGRAPHS) await migrateSubgraph(dbs[subgraph], subgraph);
  // Accounts and catalog before the services start, so a client never finds them half made.
  const demo = seed
    ? await seedDemoCatalog(dbs as unknown as DemoDatabases, createPasswordHasher(passwordCost))
    : undefined;

  const supergraph = await startSupergraph({
    databaseUrls,
    pglite,
    serviceAuthSecret: config.SERVICE_AUTH_SECRET?.[0],
    serviceCallTimeoutMs: config.SERVICE_CALL_TIMEOUT_MS,
    port: config.PORT,
    host: config.HOST,
    sandbox: !production,
    gateway: gatewaySettings,
    auth: {
      signingKey,
      passwordCost,
      tokenTtlSeconds: config.JWT_TTL_SECONDS,
      loginLimits: loginLimitsFromEnv(config),
    },
    amqpUrl: config.AMQP_URL,
    events: { ...deliveryOptions(config), ...relayOptions(config) },
    notificationWebhookUrl: config.NOTIFICATION_WEBHOOK_URL,
    databaseTimeouts: databaseTimeouts(config),
    limits: serviceLimits(config),
  }).catch((error: unknown) => {
    throw portInUse(error, config.PORT) ?? error;
  });
  onShutdownSignal(
    log,
    async () => {
      await supergraph.stop();
      await pglite?.close();
      await telemetry.shutdown();
    },
    config.SHUTDOWN_TIMEOUT_MS,
  );
  try {
    // The demo orders go through the order service, which is running now.
    if (demo) {
      await placeDemoOrders(dbs.order as Kysely<OrderDatabase>, supergraph.orderNeighbours, demo);
      log.info('seeded demo data');
    }
  } finally {
    // The embedded PGlite instance is shared: its owner closes it, not each Kysely.
    if (databaseUrls) await Promise.all(Object.values(dbs).map((db) => db.destroy()));
  }
  const mode = [
    databaseUrls ? 'Postgres' : `embedded PGlite in ${config.DATA_DIR}/pg`,
    config.AMQP_URL ? 'RabbitMQ' : 'in-process events',
  ].join(', ');
  process.stdout.write(
    [
      '',
      `  Shopgraph supergraph ready (${mode})`,
      production
        ? `  Gateway:   ${supergraph.gateway.graphqlUrl}`
        : `  Gateway:   ${supergraph.gateway.graphqlUrl}   (open it in a browser for Apollo Sandbox; it loads from Apollo's CDN and needs the internet)`,
      `  Subgraphs: ${Object.values(supergraph.subgraphs)
        .map((s) => s.graphqlUrl)
        .join('  ')}`,
      ...(seed
        ? [
            '  Demo logins (use the `login` mutation, then send `Authorization: Bearer <accessToken>`):',
            ...DEMO_ACCOUNTS.map((a) => `    ${a.role.padEnd(8)} ${a.email} / ${a.password}`),
          ]
        : []),
      '',
      '',
    ].join('\n'),
  );
});

/** Fails with {@link portInUse}'s message when PORT..PORT+3 cannot be bound now. */
async function checkPortsFree(host: string, base: number): Promise<void> {
  if (base === 0) return;
  for (let port = base; port < base + 4; port++) {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(portInUse(Object.assign(error, { port }), base) ?? error),
      );
      server.listen(port, host, () => server.close(() => resolve()));
    });
  }
}

/**
 * The launcher takes four ports: PORT for the gateway and the next three for
 * the subgraphs. A taken one is a configuration problem with a clear fix.
 */
function portInUse(error: unknown, base: number): ConfigError | undefined {
  if (!(error instanceof Error) || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') return undefined;
  const port = (error as Error & { port?: number }).port;
  return new ConfigError([
    `PORT: port ${port ?? '(unknown)'} is already in use. pnpm start takes PORT (the gateway, ${base}) and PORT+1 to PORT+3 (customer, inventory, order); choose another base, e.g. PORT=5000 pnpm start`,
  ]);
}
