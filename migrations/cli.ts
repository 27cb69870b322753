import { createDatabase, createLogger, env, openPglite, parseConfig, runMain } from '@shopgraph/lib';
import { z } from 'zod';
import { MIGRATION_TIMEOUTS, migrateDown, migrateToLatest } from './index.js';

const log = createLogger('migrate');

await runMain('migrate', async () => {
  const config = parseConfig(
    z.object({
      DATABASE_URL: env.postgresUrl().optional(),
      DATA_DIR: z.string().default('.data'),
    }),
  );
  const command = process.argv[2] ?? 'latest';
  if (command !== 'latest' && command !== 'down') {
    throw new Error(`unknown command "${command}": use "latest" or "down"`);
  }
  const pglite = config.DATABASE_URL ? undefined : await openPglite(`${config.DATA_DIR}/pg`);
  const db = createDatabase<unknown>({ databaseUrl: config.DATABASE_URL, pglite, timeouts: MIGRATION_TIMEOUTS });
  try {
    const { results = [] } = command === 'latest' ? await migrateToLatest(db) : await migrateDown(db);
    for (const r of results)
      log.info({ migration: r.migrationName, direction: r.direction, status: r.status }, 'migration');
    if (results.length === 0) log.info('nothing to migrate');
  } finally {
    await db.destroy();
  }
});
