/**
 * `pnpm start`: the whole supergraph in one process. Without database URLs it
 * runs on embedded PGlite persisted under DATA_DIR (default .data/), one
 * instance with a schema and a migration history per subgraph; with
 * DATABASE_URL or a URL per subgraph (CUSTOMER_DATABASE_URL, …), on real
 * Postgres. Migrates, seeds the demo data on first start, and prints the
 * gateway URL.
 */
import { createPasswordHasher } from '@shopgraph/customer';
import { accountEnvShape, passwordCostFromEnv } from '@shopgraph/customer/account-config';
import {
  createDatabase,
  createLogger,
  deliveryOptions,
  env,
  eventsEnv,
  loadOrCreateLocalSigningKey,
  onShutdownSignal,
  openPglite,
  parseConfig,
  relayOptions,
  runMain,
  serviceAuthEnvShape,
  signingKeyFromPem,
  SUBGRAPHS,
  subgraphDatabaseUrls,
  type SubgraphName,
} from '@shopgraph/lib';
import { migrateSubgraph } from '@shopgraph/migrations';
import { z } from 'zod';
import type { Kysely } from 'kysely';
import { DEMO_ACCOUNTS, seedDemoData, type DemoDatabases } from './seed.js';
import { startSupergraph } from './supergraph.js';

const log = createLogger('launcher');

await runMain('shopgraph', async () => {
  const config = parseConfig(
    z.object({
      NODE_ENV: env.nodeEnv(),
      PORT: env.port(4000),
      HOST: z.string().default('127.0.0.1'),
      DATA_DIR: z.string().default('.data'),
      // Demo accounts have published passwords: seeded by default only into
      // the embedded database, never silently into a real one.
      SEED_DEMO_DATA: env.optionalBool(),
      JWT_PRIVATE_KEY: z.string().optional(),
      JWT_KEY_ID: z.string().default('k1'),
      ...accountEnvShape,
      ...eventsEnv,
      // Optional here: one process knows every service, so a random secret will do.
      SERVICE_AUTH_SECRET: serviceAuthEnvShape.SERVICE_AUTH_SECRET.optional(),
    }),
  );
  const urls = subgraphDatabaseUrls();
  const missing = SUBGRAPHS.filter((s) => !urls[s]);
  if (missing.length > 0 && missing.length < SUBGRAPHS.length) {
    throw new Error(`set DATABASE_URL, or a database URL for each of ${missing.join(', ')} too`);
  }
  const databaseUrls = missing.length === 0 ? (urls as Record<SubgraphName, string>) : undefined;
  const seed = config.SEED_DEMO_DATA ?? !databaseUrls;
  const signingKey = config.JWT_PRIVATE_KEY
    ? signingKeyFromPem(config.JWT_KEY_ID, config.JWT_PRIVATE_KEY.replaceAll('\\n', '\n'))
    : loadOrCreateLocalSigningKey(config.DATA_DIR);
  const passwordCost = passwordCostFromEnv(config);
  const pglite = databaseUrls ? undefined : await openPglite(`${config.DATA_DIR}/pg`);
  // Each subgraph migrates its own history in its own database (or schema, on PGlite).
  const dbs = Object.fromEntries(
    SUBGRAPHS.map((s) => [s, createDatabase<unknown>({ databaseUrl: databaseUrls?.[s], pglite, poolSize: 2 })]),
  ) as Record<SubgraphName, Kysely<unknown>>;
  for (const subgraph of SUBGRAPHS) await migrateSubgraph(dbs[subgraph], subgraph);

  const supergraph = await startSupergraph({
    databaseUrls,
    pglite,
    serviceAuthSecret: config.SERVICE_AUTH_SECRET?.[0],
    port: config.PORT,
    host: config.HOST,
    sandbox: config.NODE_ENV !== 'production',
    auth: { signingKey, passwordCost, tokenTtlSeconds: config.JWT_TTL_SECONDS },
    amqpUrl: config.AMQP_URL,
    events: { ...deliveryOptions(config), ...relayOptions(config) },
  });
  try {
    const hasher = createPasswordHasher(passwordCost);
    if (seed && (await seedDemoData(dbs as unknown as DemoDatabases, supergraph.orderNeighbours, hasher))) {
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
      `  Gateway:   ${supergraph.gateway.graphqlUrl}   (open it in a browser for Apollo Sandbox)`,
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
  onShutdownSignal(log, async () => {
    await supergraph.stop();
    await pglite?.close();
  });
});
