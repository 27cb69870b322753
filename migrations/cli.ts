/**
 * `pnpm db:migrate [subgraph…]`: provisions (with DATABASE_ADMIN_URL) and
 * migrates each subgraph's own history against its own database.
 * `pnpm db:rollback <subgraph>`: rolls one subgraph back one step.
 * `pnpm db:provision`: databases, roles and schemas only.
 *
 * URLs: CUSTOMER_DATABASE_URL, INVENTORY_DATABASE_URL, ORDER_DATABASE_URL,
 * each falling back to DATABASE_URL; with none of them, the embedded PGlite
 * database under DATA_DIR.
 */
import {
  createDatabase,
  createLogger,
  env,
  isSubgraphName,
  openPglite,
  parseConfig,
  runMain,
  SUBGRAPHS,
  subgraphDatabaseUrls,
  type SubgraphName,
} from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { MIGRATION_TIMEOUTS, migrateSubgraph, rollbackSubgraph } from './index.js';
import { provision } from './provision.js';

const log = createLogger('migrate');

await runMain('migrate', async () => {
  const config = parseConfig(
    z.object({
      DATABASE_ADMIN_URL: env.postgresUrl().optional(),
      DATA_DIR: z.string().default('.data'),
    }),
  );
  const urls = subgraphDatabaseUrls();
  const [command = 'latest', ...names] = process.argv.slice(2);
  if (command !== 'latest' && command !== 'down' && command !== 'provision') {
    throw new Error(`unknown command "${command}": use "latest", "down" or "provision"`);
  }
  const unknown = names.filter((n) => !isSubgraphName(n));
  if (unknown.length > 0) throw new Error(`unknown subgraph ${unknown.join(', ')}: use ${SUBGRAPHS.join(', ')}`);
  const subgraphs = (names.length > 0 ? names : [...SUBGRAPHS]) as SubgraphName[];
  if (command === 'down' && subgraphs.length !== 1) throw new Error('name the one subgraph to roll back');

  const embedded = Object.keys(urls).length === 0;
  if (!embedded && subgraphs.some((s) => !urls[s])) {
    throw new Error(`set DATABASE_URL or a database URL for each of ${subgraphs.join(', ')}`);
  }
  if (command === 'provision' || (command === 'latest' && config.DATABASE_ADMIN_URL && !embedded)) {
    if (!config.DATABASE_ADMIN_URL) throw new Error('provision needs DATABASE_ADMIN_URL');
    await provision(config.DATABASE_ADMIN_URL, Object.fromEntries(subgraphs.map((s) => [s, urls[s]])));
    if (command === 'provision') return;
  }

  const pglite = embedded ? await openPglite(`${config.DATA_DIR}/pg`) : undefined;
  try {
    for (const subgraph of subgraphs) {
      const db: Kysely<unknown> = createDatabase({
        databaseUrl: urls[subgraph],
        pglite,
        poolSize: 1,
        applicationName: `migrate-${subgraph}`,
        timeouts: MIGRATION_TIMEOUTS,
      });
      try {
        const { results = [] } =
          command === 'latest' ? await migrateSubgraph(db, subgraph) : await rollbackSubgraph(db, subgraph);
        for (const r of results) {
          log.info({ subgraph, migration: r.migrationName, direction: r.direction, status: r.status }, 'migration');
        }
        if (results.length === 0) log.info({ subgraph }, 'nothing to migrate');
      } finally {
        // The embedded PGlite instance is shared: closed once below.
        if (!pglite) await db.destroy();
      }
    }
  } finally {
    await pglite?.close();
  }
});
