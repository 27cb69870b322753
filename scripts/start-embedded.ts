/**
 * `pnpm start`: the whole supergraph in one process. Without DATABASE_URL it
 * runs on embedded PGlite persisted under DATA_DIR (default .data/); with it,
 * on real Postgres. Migrates, seeds the demo data on first start, and prints
 * the gateway URL.
 */
import { createPasswordHasher } from '@shopgraph/customer';
import { accountEnvShape, passwordCostFromEnv } from '@shopgraph/customer/account-config';
import { notificationEnvShape } from '@shopgraph/customer';
import {
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
  serviceLimits,
  signingKeyFromPem,
} from '@shopgraph/lib';
import { MIGRATION_TIMEOUTS, migrateToLatest } from '@shopgraph/migrations';
import { z } from 'zod';
import type { Kysely } from 'kysely';
import { DEMO_ACCOUNTS, seedDemoData, type DemoDatabase } from './seed.js';
import { startSupergraph } from './supergraph.js';

const log = createLogger('launcher');

await runMain('shopgraph', async () => {
  const config = parseConfig(
    z.object({
      NODE_ENV: env.nodeEnv(),
      PORT: env.port(4000),
      HOST: z.string().default('127.0.0.1'),
      DATABASE_URL: env.postgresUrl().optional(),
      DATA_DIR: z.string().default('.data'),
      // Demo accounts have published passwords: seeded by default only into
      // the embedded database, never silently into a real one.
      SEED_DEMO_DATA: env.optionalBool(),
      JWT_PRIVATE_KEY: z.string().optional(),
      JWT_KEY_ID: z.string().default('k1'),
      ...accountEnvShape,
      ...notificationEnvShape,
      ...eventsEnv,
      ...databaseEnvShape,
      ...lifecycleEnvShape,
    }),
  );
  const seed = config.SEED_DEMO_DATA ?? !config.DATABASE_URL;
  const signingKey = config.JWT_PRIVATE_KEY
    ? signingKeyFromPem(config.JWT_KEY_ID, config.JWT_PRIVATE_KEY.replaceAll('\\n', '\n'))
    : loadOrCreateLocalSigningKey(config.DATA_DIR);
  const passwordCost = passwordCostFromEnv(config);
  const pglite = config.DATABASE_URL ? undefined : await openPglite(`${config.DATA_DIR}/pg`);
  const admin = createDatabase<unknown>({ databaseUrl: config.DATABASE_URL, pglite, timeouts: MIGRATION_TIMEOUTS });
  await migrateToLatest(admin);
  if (seed && (await seedDemoData(admin as Kysely<DemoDatabase>, createPasswordHasher(passwordCost)))) {
    log.info('seeded demo data');
  }
  if (config.DATABASE_URL) await admin.destroy();

  const supergraph = await startSupergraph({
    databaseUrl: config.DATABASE_URL,
    pglite,
    port: config.PORT,
    host: config.HOST,
    sandbox: config.NODE_ENV !== 'production',
    auth: { signingKey, passwordCost, tokenTtlSeconds: config.JWT_TTL_SECONDS },
    amqpUrl: config.AMQP_URL,
    events: { ...deliveryOptions(config), ...relayOptions(config) },
    notificationWebhookUrl: config.NOTIFICATION_WEBHOOK_URL,
    databaseTimeouts: databaseTimeouts(config),
    limits: serviceLimits(config),
  });
  const mode = [
    config.DATABASE_URL ? 'Postgres' : `embedded PGlite in ${config.DATA_DIR}/pg`,
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
  onShutdownSignal(
    log,
    async () => {
      await supergraph.stop();
      await pglite?.close();
    },
    config.SHUTDOWN_TIMEOUT_MS,
  );
});
