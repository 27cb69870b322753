/**
 * `pnpm start`: the whole supergraph in one process. Without DATABASE_URL it
 * runs on embedded PGlite persisted under DATA_DIR (default .data/); with it,
 * on real Postgres. Migrates, seeds the demo data on first start, and prints
 * the gateway URL.
 */
import {
  createDatabase,
  createLogger,
  deliveryOptions,
  env,
  eventsEnv,
  onShutdownSignal,
  openPglite,
  parseConfig,
  relayOptions,
  runMain,
} from '@shopgraph/lib';
import { migrateToLatest } from '@shopgraph/migrations';
import { z } from 'zod';
import type { Kysely } from 'kysely';
import { DEMO_ADMIN_EMAIL, DEMO_CUSTOMER_EMAIL, seedDemoData, type DemoDatabase } from './seed.js';
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
      SEED_DEMO_DATA: env.bool(true),
      ...eventsEnv,
    }),
  );
  const pglite = config.DATABASE_URL ? undefined : await openPglite(`${config.DATA_DIR}/pg`);
  const admin = createDatabase<unknown>({ databaseUrl: config.DATABASE_URL, pglite });
  await migrateToLatest(admin);
  if (config.SEED_DEMO_DATA && (await seedDemoData(admin as Kysely<DemoDatabase>))) log.info('seeded demo data');
  if (config.DATABASE_URL) await admin.destroy();

  const supergraph = await startSupergraph({
    databaseUrl: config.DATABASE_URL,
    pglite,
    port: config.PORT,
    host: config.HOST,
    sandbox: config.NODE_ENV !== 'production',
    amqpUrl: config.AMQP_URL,
    events: { ...deliveryOptions(config), ...relayOptions(config) },
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
      `  Demo accounts: ${DEMO_CUSTOMER_EMAIL} (customer), ${DEMO_ADMIN_EMAIL} (admin)`,
      '',
      '',
    ].join('\n'),
  );
  onShutdownSignal(log, async () => {
    await supergraph.stop();
    await pglite?.close();
  });
});
